using System.Net.Http.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Builds;

/// <summary>
/// Base of build tests on real parts: the web host on a fresh SQLite database (file:// sources
/// allowed), a real sshd agent on loopback, and a git repository holding the small C package
/// <c>hello</c> (subpackage, %check) from <c>Builds/Fixtures</c>.
/// </summary>
public abstract class BuildAgentTest : IAsyncLifetime, IDisposable
{
    private readonly TestDatabase database = TestDatabase.Sqlite();
    private bool disposed;

    internal TestDatabase Database => database;

    internal AlbsWebApp App { get; private set; } = null!;

    internal SshAgentServer Agent { get; private set; } = null!;

    internal TestGitRepository Hello { get; private set; } = null!;

    internal static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Builds", "Fixtures", name));

    /// <summary>Programs the agent has first on its PATH (name → script text); none by default.</summary>
    internal virtual IReadOnlyDictionary<string, string>? AgentPrograms => null;

    /// <summary>Changes to the host's services after its own (fault injection); none by default.</summary>
    internal virtual Action<IServiceCollection>? HostServices => null;

    public virtual async Task InitializeAsync()
    {
        App = new AlbsWebApp(database, new Dictionary<string, string?>(AgentTestKit.FastProbe) { ["Builds:AllowFileUrls"] = "true" }, HostServices);
        Agent = await SshAgentServer.StartAsync(programs: AgentPrograms);
        Hello = await TestGitRepository.CreateAsync("hello");
        await Hello.CommitAsync("import hello", ("hello.spec", Fixture("hello.spec")), ("hello.c", Fixture("hello.c")));
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        // xunit disposes the class after DisposeAsync did: once is enough.
        if (disposing && !disposed)
        {
            disposed = true;
            App?.Dispose();
            Hello?.Dispose();
            database.Dispose();
        }
    }

    internal async Task RegisterAgentAsync(string name)
    {
        await AgentTestKit.RegisterAsync(App, Agent, name);
        try
        {
            await AgentTestKit.WaitForStateAsync(App, name, "online");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nsshd log:\n{Agent.Log}\nhost log:\n{string.Join('\n', App.Logs.TakeLast(20))}", ex);
        }
    }

    internal async Task<BuildResponse> SubmitAsync(SubmitBuildRequest request)
    {
        var response = await App.AdminClient().PostAsJsonAsync("/api/v1/builds", request);
        return (await response.Content.ReadFromJsonAsync<BuildResponse>())!;
    }

    internal Task<BuildResponse> GetAsync(long id) => App.Client().GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{id}")!;

    internal async Task<BuildResponse> WaitForEndAsync(long id, TimeSpan? limit = null)
    {
        BuildResponse? current = null;
        await Eventually.TrueAsync(
            async () => (current = await GetAsync(id)).Status is "completed" or "failed" or "cancelled",
            $"build {id} finishes",
            limit ?? TimeSpan.FromMinutes(3));
        return current!;
    }

    internal static SubmitBuildRequest Demo(string url) =>
        new([new BuildPlatformRequest("Demo-1", ["x86_64"])], [new BuildSourceRequest(url, "main")], Product: "demo");
}
