using System.Net.Http.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Tests.Support;

namespace Albs.Tests.Agents;

/// <summary>Helpers for tests that register the <see cref="SshAgentServer"/> fixtures as agents.</summary>
internal static class AgentTestKit
{
    /// <summary>Settings that make the probe run every quarter second (default 30 s).</summary>
    public static Dictionary<string, string?> FastProbe => new() { ["Agents:ProbeInterval"] = "00:00:00.250" };

    /// <summary>Settings without the background probe, for tests that count connections.</summary>
    public static Dictionary<string, string?> NoProbe => new() { ["Agents:ProbeEnabled"] = "false" };

    public static RegisterAgentRequest Request(SshAgentServer server, string name, bool pinHostKey = true) =>
        new(name, server.Host, server.Port, server.User, server.ClientPrivateKey, null,
            pinHostKey ? server.HostKeyLine : null, ["x86_64", "noarch"], 2, server.WorkDirectory);

    public static async Task<AgentResponse> RegisterAsync(AlbsWebApp app, SshAgentServer server, string name)
    {
        var response = await app.AdminClient().PostAsJsonAsync("/api/v1/agents", Request(server, name));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<AgentResponse>())!;
    }

    /// <summary>The agent as a superuser sees it (with how to reach it and its last error).</summary>
    public static async Task<AgentResponse> GetAsync(AlbsWebApp app, string name) =>
        (await app.AdminClient().GetFromJsonAsync<AgentResponse>($"/api/v1/agents/{name}"))!;

    public static async Task<AgentResponse> WaitForStateAsync(AlbsWebApp app, string name, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var agent = await GetAsync(app, name);
            if (agent.State == state)
            {
                return agent;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Agent {name} did not become {state}; it is {agent.State}: {agent.LastError}");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>A web host with fast probing on its own SQLite database, and one real sshd agent.</summary>
public abstract class AgentWebTest : IAsyncLifetime
{
    private readonly Dictionary<string, string?> settings;

    protected AgentWebTest(Dictionary<string, string?>? settings = null) => this.settings = settings ?? AgentTestKit.FastProbe;

    internal TestDatabase Database { get; private set; } = null!;

    internal AlbsWebApp App { get; private set; } = null!;

    internal SshAgentServer Agent { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Agent = await SshAgentServer.StartAsync();
        Database = TestDatabase.Sqlite();
        App = new AlbsWebApp(Database, settings);
    }

    public virtual async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Agent.DisposeAsync();
        Database.Dispose();
    }
}
