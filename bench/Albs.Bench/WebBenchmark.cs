using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Albs.Bench;

/// <summary>
/// The build list and build page at scale: seeds 100,000 builds and 500,000 tasks straight into the database,
/// starts the real host, and measures the time to the last byte over loopback HTTP of the pages and API calls a
/// user makes (each request alone, one after another), then <c>wrk</c> on <c>GET /api/v1/builds</c>.
/// With <c>--no-indexes</c> the indexes of migration 20261122150500_BuildListIndexes are dropped (and the ones it
/// replaced put back) before measuring: the baseline.
/// </summary>
internal static partial class WebBenchmark
{
    private static readonly string[] NewIndexes =
    [
        "ix_builds_builds_created_by_name_id", "ix_builds_builds_status_id", "ix_builds_builds_product_name_id", "ix_builds_sources_package_build_id",
        "ix_builds_tasks_platform_build_id", "ix_builds_tasks_arch_build_id", "ix_builds_artifacts_rpm_name_rpm_version_rpm_release",
    ];

    public static async Task<BenchmarkResult> RunAsync(BenchOptions options, TextWriter log)
    {
        var result = new BenchmarkResult("web");
        await using var albs = await AlbsUnderTest.StartAsync(options);
        var builds = options.Quick ? 5_000 : 100_000;
        var seeded = await WebSeed.SeedAsync(albs.Database, builds, log);
        result.Details["seeded"] = seeded;
        if (options.NoIndexes)
        {
            await DropNewIndexesAsync(albs);
            result.Notes.Add("--no-indexes: the indexes of 20261122150500_BuildListIndexes dropped, ix_builds_builds_created_by_name and ix_builds_sources_package put back");
        }

        var from = WebSeed.Start.AddDays(400).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
        var to = WebSeed.Start.AddDays(430).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
        var lastPage = builds / 25 / 2;
        (string Name, string Path)[] requests =
        [
            ("/builds", "/builds"),
            ($"/builds page {lastPage}", $"/builds?page={lastPage}"),
            ("/builds package", $"/builds?package={seeded.Package}"),
            ("/builds status", "/builds?status=cancelled"),
            ("/builds platform+arch", "/builds?platform=AlmaLinux-10&arch=s390x"),
            ("/builds submitter", $"/builds?createdBy={seeded.Submitter}"),
            ("/builds product", $"/builds?product={seeded.Product}"),
            ("/builds date range", $"/builds?from={from}&to={to}"),
            ("/builds nevra", $"/builds?nevra={seeded.Nevra}"),
            ("/builds/{id}", $"/builds/{seeded.DetailBuildId}"),
            ("GET /api/v1/builds", "/api/v1/builds"),
            ("GET /api/v1/builds/{id}", $"/api/v1/builds/{seeded.DetailBuildId}"),
            ("/ (dashboard)", "/"),
            ("GET /api/v1/dashboard", "/api/v1/dashboard"),
        ];
        var samples = options.Quick ? 5 : 25;
        using var client = new HttpClient { BaseAddress = albs.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var timings = new Dictionary<string, object>();
        foreach (var (name, path) in requests)
        {
            var times = new List<double>();
            long bytes = 0;
            var budget = Stopwatch.StartNew();
            for (var i = 0; i < samples + 2 && (times.Count < 5 || budget.Elapsed < TimeSpan.FromSeconds(30)); i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead);
                var body = await response.Content.ReadAsByteArrayAsync();
                var ms = clock.Elapsed.TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{path}: {(int)response.StatusCode}");
                }

                bytes = body.Length;
                if (i >= 2)
                {
                    times.Add(ms);
                }
            }

            var stats = Stats.Of(times);
            timings[name] = new { path, bytes, stats };
            result.Figures.Add(new Figure("web", $"{name} p50", stats.P50, "ms"));
            result.Figures.Add(new Figure("web", $"{name} p99", stats.P99, "ms"));
            log.WriteLine($"  {name,-26} p50 {stats.P50,8:0.0} ms  p99 {stats.P99,8:0.0} ms  ({times.Count} requests, {bytes} bytes)  {path}");
        }

        result.Details["requests"] = timings;
        result.Details["plans"] = await PlansAsync(albs, seeded);
        var wrk = await WrkAsync(new Uri(albs.BaseAddress, "/api/v1/builds"), options.Quick ? 5 : 15, log);
        if (wrk is not null)
        {
            result.Details["wrk"] = wrk;
            result.Figures.Add(new Figure("web", "wrk GET /api/v1/builds req/s", wrk.RequestsPerSecond, "req/s"));
            result.Figures.Add(new Figure("web", "wrk GET /api/v1/builds p50", wrk.P50, "ms"));
            result.Figures.Add(new Figure("web", "wrk GET /api/v1/builds p99", wrk.P99, "ms"));
        }
        else
        {
            result.Notes.Add("wrk not found: no throughput figure");
        }

        result.Notes.Add($"seeded {seeded.Builds} builds, {seeded.Tasks} tasks, {seeded.Artifacts} artifacts in {seeded.Took.TotalSeconds:0.0} s; requests one at a time, time to last byte over loopback");
        return result;
    }

    private static async Task DropNewIndexesAsync(AlbsUnderTest albs)
    {
        var sql = string.Join(";\n", NewIndexes.Select(i => $"DROP INDEX {i}"))
            + ";\nCREATE INDEX ix_builds_builds_created_by_name ON builds_builds (created_by_name);\nCREATE INDEX ix_builds_sources_package ON builds_sources (package)";
        await ExecAsync(albs, sql);
    }

    private static async Task ExecAsync(AlbsUnderTest albs, string sql)
    {
        if (albs.Database.IsPostgres)
        {
            await using var connection = new NpgsqlConnection(albs.Database.Settings["ConnectionStrings:Albs"]);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
            await command.ExecuteNonQueryAsync();
        }
        else
        {
            await using var connection = new SqliteConnection($"Data Source={Path.Combine(albs.Database.DataDirectory, "albs.db")}");
            await connection.OpenAsync();
            await using var command = new SqliteCommand(sql, connection) { CommandTimeout = 600 };
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The plans of the list's count for a few filters (EXPLAIN QUERY PLAN / EXPLAIN), for the JSON.</summary>
    private static async Task<Dictionary<string, string>> PlansAsync(AlbsUnderTest albs, WebSeed.Seeded seeded)
    {
        var queries = new Dictionary<string, string>
        {
            ["package count"] = $"SELECT count(*) FROM builds_builds b WHERE b.id IN (SELECT s.build_id FROM builds_sources s WHERE s.package = '{seeded.Package}')",
            ["package page"] = $"SELECT b.id FROM builds_builds b WHERE b.id IN (SELECT s.build_id FROM builds_sources s WHERE s.package = '{seeded.Package}') ORDER BY b.id DESC LIMIT 25",
            ["submitter page"] = $"SELECT b.id FROM builds_builds b WHERE b.created_by_name = '{seeded.Submitter}' ORDER BY b.id DESC LIMIT 25",
            ["tasks of a build"] = $"SELECT t.id FROM builds_tasks t WHERE t.build_id = {seeded.DetailBuildId}",
        };
        var plans = new Dictionary<string, string>();
        foreach (var (name, sql) in queries)
        {
            var lines = new List<string>();
            if (albs.Database.IsPostgres)
            {
                await using var connection = new NpgsqlConnection(albs.Database.Settings["ConnectionStrings:Albs"]);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("EXPLAIN " + sql, connection);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    lines.Add(reader.GetString(0));
                }
            }
            else
            {
                await using var connection = new SqliteConnection($"Data Source={Path.Combine(albs.Database.DataDirectory, "albs.db")}");
                await connection.OpenAsync();
                await using var command = new SqliteCommand("EXPLAIN QUERY PLAN " + sql, connection);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    lines.Add(reader.GetString(3));
                }
            }

            plans[name] = string.Join(" | ", lines);
        }

        return plans;
    }

    internal sealed record WrkResult(double RequestsPerSecond, double P50, double P90, double P99, string Command, string Output);

    private static async Task<WrkResult?> WrkAsync(Uri url, int seconds, TextWriter log)
    {
        const string wrk = "/usr/bin/wrk";
        if (!File.Exists(wrk))
        {
            return null;
        }

        var arguments = $"-t2 -c16 -d{seconds}s --latency {url}";
        using var process = Process.Start(new ProcessStartInfo(wrk, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        log.WriteLine($"  wrk {arguments}:\n{output}");
        var rps = double.Parse(RequestsLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        return new WrkResult(rps, Percentile(output, "50"), Percentile(output, "90"), Percentile(output, "99"), $"wrk {arguments}", output);
    }

    private static double Percentile(string output, string percent)
    {
        var match = Regex.Match(output, $@"^\s+{percent}%\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsLine();
}
