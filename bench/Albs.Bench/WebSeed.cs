using System.Data.Common;
using System.Diagnostics;
using Albs.Tests.Support;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Albs.Bench;

/// <summary>
/// Fills the builds tables with a realistic history, straight through the provider's connection (SQLite:
/// prepared INSERTs in one transaction; PostgreSQL: binary COPY): N builds of one git source each, five tasks per
/// build (one platform: src + 4 arches, or two platforms: src + 2 arches and src + 1 arch), an SRPM and one RPM per
/// finished task of a completed build. Statuses, packages, submitters and products are skewed (a few are common,
/// most are rare); creation times grow with the id over two years.
/// </summary>
internal static class WebSeed
{
    public static readonly string[] Platforms = ["AlmaLinux-8", "AlmaLinux-9", "AlmaLinux-10", "AlmaLinux-Kitten-10"];
    public static readonly string[] Arches = ["x86_64", "aarch64", "ppc64le", "s390x"];
    public static readonly string[] Products = ["almalinux", "almalinux-kitten", "epel", "devel", "synergy", "cloud", "sig-altarch", "sig-hyperscale", "nvidia", "rocm"];
    public static readonly DateTime Start = new(2024, 11, 22, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>What the seeded data holds that the benchmark's requests need.</summary>
    internal sealed record Seeded(int Builds, int Tasks, int Artifacts, string Package, string Submitter, string Product, string Nevra, long DetailBuildId, TimeSpan Took);

    public static string PackageName(int i) => i switch { 0 => "kernel", 1 => "bash", 2 => "glibc", 3 => "python3", _ => $"pkg{i:0000}" };

    public static async Task<Seeded> SeedAsync(TestDatabase database, int builds, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        var random = new Random(20261122);
        var buildRows = new List<object?[]>(builds);
        var sourceRows = new List<object?[]>(builds);
        var taskRows = new List<object?[]>(builds * 5);
        var artifactRows = new List<object?[]>(builds * 4);
        var span = TimeSpan.FromDays(730).Ticks / builds;
        long taskId = 0, artifactId = 0;
        string? nevra = null;
        long detailBuildId = 0;
        for (var id = 1L; id <= builds; id++)
        {
            // Skewed picks: min of two uniforms leans to the small indexes.
            int Skewed(int n) => Math.Min(random.Next(n), random.Next(n));
            var package = PackageName(Skewed(3000));
            var submitter = $"user{Skewed(200):000}";
            var product = Products[Skewed(Products.Length)];
            var roll = random.Next(100);
            var status = roll switch { < 70 => "completed", < 88 => "failed", < 95 => "cancelled", < 98 => "running", _ => "idle" };
            var created = Start.AddTicks((id * span) + random.Next(1000));
            DateTime? finished = status is "completed" or "failed" or "cancelled" ? created.AddMinutes(5 + random.Next(120)) : null;
            buildRows.Add([id, $"id-{submitter}", submitter, created, null, product, finished, status, false, 0, "{}", "[]"]);
            sourceRows.Add([id, id, 0, "git", $"https://git.almalinux.org/rpms/{package}.git", package, "c10s", "branch", new string('a', 40)]);

            // Five tasks: one platform with src + 4 arches, or two platforms with src + 2 and src + 1.
            var first = Platforms[Skewed(Platforms.Length)];
            (string Platform, string[] Arches)[] targets = random.Next(10) < 7
                ? [(first, Arches)]
                : [(first, Arches[..2]), (Platforms[(Array.IndexOf(Platforms, first) + 1) % Platforms.Length], Arches[..1])];
            var version = $"{1 + (id % 7)}.{id % 13}";
            var release = $"{1 + (id % 5)}.el{9 + (id % 2)}";
            foreach (var (platform, arches) in targets)
            {
                var srpmTask = ++taskId;
                var taskStatus = status is "completed" ? "completed" : status;
                taskRows.Add(TaskRow(srpmTask, id, platform, "src", taskStatus == "failed" ? "completed" : taskStatus, null, submitter, created, finished));
                if (status == "completed")
                {
                    artifactRows.Add(ArtifactRow(++artifactId, srpmTask, package, version, release, "src", created));
                }

                foreach (var arch in arches)
                {
                    taskRows.Add(TaskRow(++taskId, id, platform, arch, taskStatus, srpmTask, submitter, created, finished));
                    if (status == "completed")
                    {
                        artifactRows.Add(ArtifactRow(++artifactId, taskId, package, version, release, arch, created));
                        if (nevra is null && id > builds / 2)
                        {
                            nevra = $"{package}-{version}-{release}.{arch}";
                            detailBuildId = id;
                        }
                    }
                }
            }
        }

        log.WriteLine($"  generated {buildRows.Count} builds, {taskRows.Count} tasks, {artifactRows.Count} artifacts in {clock.Elapsed.TotalSeconds:0.0} s");
        string[] builds_ = ["id", "created_by_id", "created_by_name", "created_at", "product_id", "product_name", "finished_at", "status", "independent_tasks", "priority", "mock_options", "linked_builds"];
        string[] sources = ["id", "build_id", "position", "kind", "url", "package", "ref", "ref_kind", "commit_id"];
        string[] tasks = ["id", "build_id", "source_id", "platform", "arch", "status", "srpm_task_id", "after_task_id", "submitter", "priority", "attempt", "agent_name", "lease_owner", "lease_expires_at", "created_at", "started_at", "finished_at", "error"];
        string[] artifacts = ["id", "task_id", "name", "type", "size", "sha256", "nevra", "source_rpm", "created_at", "rpm_name", "rpm_epoch", "rpm_version", "rpm_release", "rpm_arch"];
        if (database.IsPostgres)
        {
            await using var connection = new NpgsqlConnection(database.Settings["ConnectionStrings:Albs"]);
            await connection.OpenAsync();
            await CopyAsync(connection, "builds_builds", builds_, buildRows);
            await CopyAsync(connection, "builds_sources", sources, sourceRows);
            await CopyAsync(connection, "builds_tasks", tasks, taskRows);
            await CopyAsync(connection, "builds_artifacts", artifacts, artifactRows);
            foreach (var table in new[] { "builds_builds", "builds_sources", "builds_tasks", "builds_artifacts" })
            {
                await ExecAsync(connection, $"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))");
            }

            // What autovacuum does soon after a bulk load.
            await ExecAsync(connection, "ANALYZE");
        }
        else
        {
            await using var connection = new SqliteConnection($"Data Source={Path.Combine(database.DataDirectory, "albs.db")}");
            await connection.OpenAsync();
            await InsertAsync(connection, "builds_builds", builds_, buildRows);
            await InsertAsync(connection, "builds_sources", sources, sourceRows);
            await InsertAsync(connection, "builds_tasks", tasks, taskRows);
            await InsertAsync(connection, "builds_artifacts", artifacts, artifactRows);
        }

        log.WriteLine($"  seeded in {clock.Elapsed.TotalSeconds:0.0} s");
        return new Seeded(buildRows.Count, taskRows.Count, artifactRows.Count, "bash", "user150", "sig-hyperscale", nevra ?? throw new InvalidOperationException("no completed build"),
            detailBuildId, clock.Elapsed);
    }

    private static object?[] TaskRow(long id, long build, string platform, string arch, string status, long? srpmTask, string submitter, DateTime created, DateTime? finished) =>
        [id, build, build, platform, arch, status, srpmTask, null, submitter, 0, 1, status == "idle" ? null : "builder1", null, null, created,
            status == "idle" ? null : created.AddSeconds(5), finished, status == "failed" ? "rpmbuild failed (exit 1)" : null];

    private static object?[] ArtifactRow(long id, long task, string package, string version, string release, string arch, DateTime created)
    {
        var nevra = $"{package}-{version}-{release}.{arch}";
        return [id, task, nevra + ".rpm", arch == "src" ? "srpm" : "rpm", 123456L, Convert.ToHexStringLower(BitConverter.GetBytes(id)).PadLeft(64, '0'), nevra,
            arch == "src" ? null : $"{package}-{version}-{release}.src.rpm", created, package, null, version, release, arch];
    }

    private static async Task ExecAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string table, string[] columns, List<object?[]> rows)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)");
        foreach (var row in rows)
        {
            await importer.StartRowAsync();
            foreach (var value in row)
            {
                if (value is null)
                {
                    await importer.WriteNullAsync();
                }
                else
                {
                    await importer.WriteAsync(value);
                }
            }
        }

        await importer.CompleteAsync();
    }

    private static async Task InsertAsync(SqliteConnection connection, string table, string[] columns, List<object?[]> rows)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"$p{i}"))})";
        var parameters = columns.Select((_, i) => command.Parameters.Add(new SqliteParameter($"$p{i}", null))).ToArray();
        command.Prepare();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                parameters[i].Value = row[i] ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }
}
