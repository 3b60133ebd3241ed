using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Albs.Tests.Support;

namespace Albs.Tests.Web;

/// <summary>The built host started as its own process, as the run command does.</summary>
public sealed partial class HostProcessTests
{
    [Fact]
    public async Task The_host_process_serves_health_logs_json_and_stops_on_sigterm()
    {
        using var database = TestDatabase.Sqlite();
        var web = Path.Combine(AppContext.BaseDirectory, "Albs.Web.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        foreach (var arg in new[] { web, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Albs__DataDirectory"] = database.DataDirectory;
        start.Environment["Logging__Console__FormatterName"] = "json";
        start.Environment["Identity__BootstrapAdmin__Password"] = AlbsWebApp.AdminPassword;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        using var process = Process.Start(start)!;
        var lines = new List<string>();
        string? address = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (address is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (ListeningOn().Match(line) is { Success: true } match)
                {
                    address = match.Groups[1].Value;
                }
            }

            address.Should().NotBeNull("the host logs where it listens; output: {0}", string.Join('\n', lines));
            lines.Should().OnlyContain(l => IsJsonObject(l), "every console line is a JSON log record");

            using var http = new HttpClient { BaseAddress = new Uri(address!) };
            (await http.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK);
            (await http.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }
        finally
        {
            if (!process.HasExited)
            {
                // SIGTERM: the host shuts down gracefully.
                Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            }
        }

        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        process.ExitCode.Should().Be(0);
    }

    private static bool IsJsonObject(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("LogLevel", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [GeneratedRegex("Now listening on: (http://127\\.0\\.0\\.1:\\d+)")]
    private static partial Regex ListeningOn();
}
