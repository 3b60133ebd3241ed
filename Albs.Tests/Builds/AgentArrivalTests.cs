using System.Net.Http.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Support;

namespace Albs.Tests.Builds;

/// <summary>Work waits for an agent, and starts when one arrives, without a polling interval.</summary>
public sealed class AgentArrivalTests : IAsyncLifetime, IDisposable
{
    private readonly TestDatabase database = TestDatabase.Sqlite();
    private AlbsWebApp app = null!;
    private SshAgentServer agent = null!;
    private TestGitRepository hello = null!;

    public async Task InitializeAsync()
    {
        app = new AlbsWebApp(database, new Dictionary<string, string?>(AgentTestKit.FastProbe) { ["Builds:AllowFileUrls"] = "true" });
        agent = await SshAgentServer.StartAsync();
        hello = await TestGitRepository.CreateAsync("hello");
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Builds", "Fixtures");
        await hello.CommitAsync("import", ("hello.spec", await File.ReadAllTextAsync(Path.Combine(fixtures, "hello.spec"))), ("hello.c", await File.ReadAllTextAsync(Path.Combine(fixtures, "hello.c"))));
    }

    public async Task DisposeAsync()
    {
        await agent.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        app?.Dispose();
        hello?.Dispose();
        database.Dispose();
    }

    [Fact]
    public async Task A_build_submitted_before_any_agent_starts_when_an_agent_comes_online()
    {
        var response = await app.AdminClient().PostAsJsonAsync("/api/v1/builds", new SubmitBuildRequest(
            [new BuildPlatformRequest("Demo-1", ["x86_64"])], [new BuildSourceRequest(hello.Url, "main")]));
        var build = (await response.Content.ReadFromJsonAsync<BuildResponse>())!;
        await Task.Delay(500);
        (await app.Client().GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{build.Id}"))!.Tasks.Should().OnlyContain(t => t.Status == "idle", "no agent exists yet");

        await AgentTestKit.RegisterAsync(app, agent, "late");

        // The dispatcher's own periodic wake is two minutes away: only the agent's state-change
        // event can start the build within this limit.
        await Eventually.TrueAsync(
            async () => (await app.Client().GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{build.Id}"))!.Status == "completed",
            "the build completes on the new agent",
            TimeSpan.FromSeconds(60));
    }
}
