using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Common.Processes;
using Albs.Modules.Identity.Tokens;
using Albs.Modules.Identity.Users;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Agents;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentRegistrationTests : AgentWebTest
{
    [Fact]
    public async Task A_registered_agent_is_probed_online_with_its_load_and_listed_publicly()
    {
        var admin = App.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(Agent, "a1"));
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        response.Headers.Location!.ToString().Should().Be("/api/v1/agents/a1");
        var created = (await response.Content.ReadFromJsonAsync<AgentResponse>())!;
        created.Should().BeEquivalentTo(new
        {
            Name = "a1",
            Host = "127.0.0.1",
            Agent.Port,
            Agent.User,
            Arches = new[] { "x86_64", "noarch" },
            Slots = 2,
            Enabled = true,
            Maintenance = false,
            WorkDirectory = Agent.WorkDirectory,
        });
        created.HostKeyFingerprints.Should().ContainSingle().Which.Should().StartWith("SHA256:");

        var online = await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Online);
        online.Load.Should().NotBeNull().And.BeGreaterThanOrEqualTo(0);
        online.LastSeenAt.Should().BeCloseTo(DateTime.UtcNow, TimeSpan.FromMinutes(1));
        online.LastError.Should().BeNull();

        var listed = await App.Client().GetFromJsonAsync<List<AgentResponse>>("/api/v1/agents");
        listed!.Should().ContainSingle(a => a.Name == "a1");
        (await App.Client().GetAsync("/api/v1/agents/nope")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_private_key_is_stored_encrypted_and_never_shown_or_logged()
    {
        await AgentTestKit.RegisterAsync(App, Agent, "secret");
        await AgentTestKit.WaitForStateAsync(App, "secret", AgentStates.Online);

        var keyBody = Agent.ClientPrivateKey.Split('\n')[1];
        var responses = await App.Client().GetStringAsync("/api/v1/agents") + await App.Client().GetStringAsync("/api/v1/agents/secret")
            + await (await App.AdminClient().PutAsJsonAsync("/api/v1/agents/secret", new UpdateAgentRequest(Slots: 3))).Content.ReadAsStringAsync();
        responses.Should().NotContain(keyBody).And.NotContain("PRIVATE KEY").And.NotContain("privateKey");

        var keyDirectory = Path.Combine(Database.DataDirectory, "run", "agents", "secret");
        var keyFile = Directory.GetFiles(keyDirectory, "*.key").Should().ContainSingle().Subject;
        File.GetUnixFileMode(keyFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(keyDirectory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        responses.Should().NotContain(keyFile);

        var db = Path.Combine(Database.DataDirectory, "albs.db");
        var stored = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(db))
            + (File.Exists(db + "-wal") ? Encoding.Latin1.GetString(await File.ReadAllBytesAsync(db + "-wal")) : "");
        stored.Should().Contain("secret").And.NotContain(keyBody).And.NotContain("PRIVATE KEY");

        App.Logs.Should().NotContain(line => line.Contains(keyBody, StringComparison.Ordinal) || line.Contains("PRIVATE KEY", StringComparison.Ordinal) || line.Contains(keyFile, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_host_key_the_server_scans_it_and_registers_nothing_until_confirmed()
    {
        var response = await App.AdminClient().PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(Agent, "scan", pinHostKey: false));
        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var scanned = body.RootElement.GetProperty("scannedHostKeys").EnumerateArray().Select(e => e.GetString()!).ToList();
        var fingerprints = body.RootElement.GetProperty("fingerprints").EnumerateArray().Select(e => e.GetString()!).ToList();
        scanned.Should().ContainSingle().Which.Should().Be(Agent.HostKeyLine);
        fingerprints.Should().ContainSingle().Which.Should().Be(await FingerprintAsync(Agent.HostKeyLine));
        (await App.Client().GetAsync("/api/v1/agents/scan")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var confirmed = AgentTestKit.Request(Agent, "scan") with { HostKey = string.Join('\n', scanned) };
        (await App.AdminClient().PostAsJsonAsync("/api/v1/agents", confirmed)).StatusCode.Should().Be(HttpStatusCode.Created);
        await AgentTestKit.WaitForStateAsync(App, "scan", AgentStates.Online);
    }

    [Fact]
    public async Task Only_superusers_change_agents()
    {
        var anonymous = App.Client();
        (await anonymous.PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(Agent, "a1"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PutAsJsonAsync("/api/v1/agents/a1", new UpdateAgentRequest(Slots: 1))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.DeleteAsync("/api/v1/agents/a1")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var user = App.Client();
        user.DefaultRequestHeaders.Authorization = new("Bearer", await OrdinaryUserTokenAsync());
        (await user.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await user.PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(Agent, "a1"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await App.Client().GetFromJsonAsync<List<AgentResponse>>("/api/v1/agents")).Should().BeEmpty();
    }

    [Fact]
    public async Task Duplicates_unknown_names_and_deletion()
    {
        await AgentTestKit.RegisterAsync(App, Agent, "a1");
        await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Online);
        var again = await App.AdminClient().PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(Agent, "a1"));
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await again.Content.ReadAsStringAsync()).Should().Contain("registered already");
        (await App.AdminClient().PutAsJsonAsync("/api/v1/agents/nope", new UpdateAgentRequest(Slots: 1))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await App.AdminClient().DeleteAsync("/api/v1/agents/nope")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        (await App.AdminClient().DeleteAsync("/api/v1/agents/a1")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await App.Client().GetAsync("/api/v1/agents/a1")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        Directory.Exists(Path.Combine(Database.DataDirectory, "run", "agents", "a1")).Should().BeFalse("the decrypted key goes with the agent");
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Log.Contains("Disconnected from user", StringComparison.Ordinal)), "the agent's master connection is closed");
    }

    public static TheoryData<string, string, string> InvalidRequests => new()
    {
        { """{"name":"Bad Name"}""", "name", "^[a-z0-9]" },
        { """{"name":"-x"}""", "name", "^[a-z0-9]" },
        { """{"host":"-oProxyCommand=touch /tmp/x"}""", "host", "host name or an IP" },
        { """{"host":"a.example.org; rm -rf /"}""", "host", "host name or an IP" },
        { """{"host":"$(id)"}""", "host", "host name or an IP" },
        { """{"port":0}""", "port", "between 1 and 65535" },
        { """{"port":70000}""", "port", "between 1 and 65535" },
        { """{"user":"Root"}""", "user", "^[a-z_]" },
        { """{"user":"a b"}""", "user", "^[a-z_]" },
        { """{"arches":["x86_64","m68k"]}""", "arches", "from: x86_64" },
        { """{"arches":[]}""", "arches", "non-empty" },
        { """{"slots":0}""", "slots", "between 1 and 64" },
        { """{"slots":65}""", "slots", "between 1 and 64" },
        { """{"hostKey":"not a key"}""", "hostKey", "supported key type" },
        { """{"hostKey":"h ssh-ed25519 AAAA!!!"}""", "hostKey", "not valid base64" },
        { """{"hostKey":"@cert-authority * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBuhaOB5V9vKj8iL6/tHVqj7N4KPvZi5oTuYGgrlpmP0"}""", "hostKey", "not supported" },
        { """{"privateKey":"hello"}""", "privateKey", "OpenSSH or PEM" },
        { """{"privateKey":null}""", "privateKey", "exactly one" },
        { """{"privateKeyPath":"/etc/hosts"}""", "privateKey", "exactly one" },
        { """{"privateKey":null,"privateKeyPath":"relative/key"}""", "privateKeyPath", "absolute path" },
        { """{"privateKey":null,"privateKeyPath":"/no/such/key"}""", "privateKeyPath", "does not name a file" },
        { """{"workDirectory":"../escape"}""", "workDirectory", "'..'" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Invalid_fields_get_a_validation_problem_for_that_field(string patch, string field, string message)
    {
        var request = JsonSerializer.SerializeToNode(AgentTestKit.Request(Agent, "valid"), JsonSerializerOptions.Web)!.AsObject();
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(patch)!.AsObject())
        {
            request[key] = value?.DeepClone();
        }

        var response = await App.AdminClient().PostAsync("/api/v1/agents", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        problem.Errors.Should().ContainKey(field).WhoseValue.Should().ContainSingle().Which.Should().Contain(message);
        problem.Errors.Should().HaveCount(1, "only the broken field is reported");
    }

    [Fact]
    public async Task A_passphrase_protected_key_is_refused()
    {
        var path = Path.Combine(Agent.WorkDirectory, "locked");
        var keygen = await new ProcessRunner().RunCapturedAsync(new("ssh-keygen", ["-q", "-t", "ed25519", "-N", "passphrase1", "-f", path]));
        keygen.Succeeded.Should().BeTrue(keygen.StandardError);
        var request = AgentTestKit.Request(Agent, "locked") with { PrivateKey = await File.ReadAllTextAsync(path) };
        var response = await App.AdminClient().PostAsJsonAsync("/api/v1/agents", request);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors["privateKey"].Single().Should().Contain("passphrase");
    }

    private async Task<string> OrdinaryUserTokenAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>();
        var user = new AlbsUser { UserName = "packager", CreatedAt = DateTime.UtcNow };
        (await users.CreateAsync(user, "Packager-Pass-42")).Succeeded.Should().BeTrue();
        var created = await scope.ServiceProvider.GetRequiredService<ApiTokenService>().CreateAsync(user.Id, "test", null, null, default);
        return created.Token;
    }

    private static async Task<string> FingerprintAsync(string knownHostsLine)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, knownHostsLine + "\n");
            var result = await new ProcessRunner().RunCapturedAsync(new("ssh-keygen", ["-l", "-f", file]));
            return result.StandardOutput.Split(' ')[1];
        }
        finally
        {
            File.Delete(file);
        }
    }
}
