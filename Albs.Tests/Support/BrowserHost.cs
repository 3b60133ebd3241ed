using System.Net.Http.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Identity.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Builds;
using Microsoft.Playwright;

namespace Albs.Tests.Support;

/// <summary>
/// What the browser tests share (one per run of the <see cref="BrowserCollection"/>): the host run as a
/// process on a loopback port with its <c>wwwroot</c> from the source tree, a real sshd agent registered
/// and online, Debian's Chromium, and a plain hello build that has completed, made on first use.
/// </summary>
public sealed class BrowserHost : IAsyncLifetime
{
    private readonly TestDatabase database = TestDatabase.Sqlite();
    private readonly List<TestGitRepository> repositories = [];
    private SshAgentServer? agent;
    private HostProcess? host;
    private Browser? browser;
    private Task<BuildResponse>? finished;

    internal HostProcess Host => host ?? throw new InvalidOperationException("not started");

    internal Browser Browser => browser ?? throw new InvalidOperationException("not started");

    internal Uri Address => Host.Address;

    public async Task InitializeAsync()
    {
        var launching = Browser.LaunchAsync();
        agent = await SshAgentServer.StartAsync();
        host = await HostProcess.StartAsync(new Dictionary<string, string?>(database.Settings)
        {
            ["Builds:AllowFileUrls"] = "true",
            ["Agents:ProbeInterval"] = "00:00:00.250",
            ["ASPNETCORE_WEBROOT"] = WebRoot(),
        });
        using var admin = host.AdminClient();
        (await admin.PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(agent, "builder1"))).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(async () => (await admin.GetFromJsonAsync<AgentResponse>("/api/v1/agents/builder1"))!.State == "online", "the agent is online");
        browser = await launching;
    }

    /// <summary>A git repository with the hello package; <paramref name="buildCommand"/> replaces its compile line (to print or to sleep).</summary>
    internal async Task<TestGitRepository> HelloRepositoryAsync(string buildCommand = "gcc -O2 -o hello hello.c")
    {
        var repository = await TestGitRepository.CreateAsync("hello");
        lock (repositories)
        {
            repositories.Add(repository);
        }

        var spec = BuildAgentTest.Fixture("hello.spec").Replace("gcc -O2 -o hello hello.c", buildCommand, StringComparison.Ordinal);
        await repository.CommitAsync("import hello", ("hello.spec", spec), ("hello.c", BuildAgentTest.Fixture("hello.c")));
        return repository;
    }

    /// <summary>Submits a build of the repository's <c>main</c> for Demo-1 x86_64 as the bootstrap admin, through the API.</summary>
    internal async Task<BuildResponse> SubmitAsync(TestGitRepository repository)
    {
        using var admin = Host.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/builds", BuildAgentTest.Demo(repository.Url));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<BuildResponse>())!;
    }

    internal async Task<BuildResponse> GetBuildAsync(long id)
    {
        using var client = Host.Client();
        return (await client.GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{id}"))!;
    }

    internal async Task<BuildResponse> WaitForEndAsync(long id)
    {
        BuildResponse? current = null;
        await Eventually.TrueAsync(
            async () => (current = await GetBuildAsync(id)).Status is "completed" or "failed" or "cancelled",
            $"build {id} finishes",
            TimeSpan.FromMinutes(3));
        return current!;
    }

    /// <summary>A completed hello build (submitted and awaited once, then shared).</summary>
    internal Task<BuildResponse> FinishedBuildAsync()
    {
        lock (repositories)
        {
            return finished ??= BuildToTheEndAsync();
        }

        async Task<BuildResponse> BuildToTheEndAsync()
        {
            var build = await WaitForEndAsync((await SubmitAsync(await HelloRepositoryAsync())).Id);
            build.Status.Should().Be("completed", Host.Output);
            return build;
        }
    }

    /// <summary>A local user (password <see cref="RbacKit.Password"/>) with these roles in team <c>demo</c>, made through the admin API.</summary>
    internal async Task UserAsync(string userName, params string[] roles)
    {
        using var admin = Host.AdminClient();
        (await admin.PostAsJsonAsync("/api/v1/users", new CreateUserRequest(userName, RbacKit.Password))).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/api/v1/teams/demo/members/{userName}", new SetMemberRolesRequest(roles))).EnsureSuccessStatusCode();
    }

    /// <summary>Signs in through the login form in the page's browser context (its cookie then serves every page of the context).</summary>
    internal static async Task SignInAsync(IPage page, string userName, string password = RbacKit.Password)
    {
        await page.GotoAsync("account/login");
        await page.Locator("#username").FillAsync(userName);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("main button[type=submit]", new() { HasText = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(userName);
    }

    /// <summary>The host's wwwroot in the source tree (the test output has no copy of it).</summary>
    internal static string WebRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "albs.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("albs.sln not found above the test output"), "Albs.Web", "wwwroot");
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        if (host is not null)
        {
            await host.DisposeAsync();
        }

        if (agent is not null)
        {
            await agent.DisposeAsync();
        }

        foreach (var repository in repositories)
        {
            repository.Dispose();
        }

        database.Dispose();
    }
}

/// <summary>The browser test classes run one after the other on one <see cref="BrowserHost"/>: one host, one agent, one Chromium.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserHost>
{
    public const string Name = "Browser";
}
