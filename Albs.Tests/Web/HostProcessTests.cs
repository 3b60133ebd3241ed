using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Albs.Modules.Identity.Contracts;
using Albs.Tests.Support;

namespace Albs.Tests.Web;

/// <summary>The built host started as its own process, as the run command does.</summary>
public sealed class HostProcessTests
{
    [Fact]
    public async Task The_host_process_serves_health_logs_json_and_stops_on_sigterm()
    {
        using var database = TestDatabase.Sqlite();
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string?>(database.Settings)
        {
            ["Logging:Console:FormatterName"] = "json",
        });

        host.Lines.Should().OnlyContain(l => IsJsonObject(l), "every console line is a JSON log record");
        using var http = host.Client();
        (await http.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await http.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        // Over a real socket the audit log records where a change came from.
        using var admin = host.AdminClient();
        (await admin.PostAsJsonAsync("/api/v1/teams", new CreateTeamRequest("socket-team"))).StatusCode.Should().Be(HttpStatusCode.Created);
        var audit = (await admin.GetFromJsonAsync<AuditListResponse>("/api/v1/audit?action=team.create&objectId=socket-team"))!;
        audit.Items.Should().ContainSingle().Which.RemoteAddress.Should().BeOneOf("127.0.0.1", "::1", "::ffff:127.0.0.1");

        (await host.StopAsync()).Should().Be(0, "SIGTERM shuts the host down gracefully");
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
}
