using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Platforms.Contracts;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Bench;

/// <summary>A build submitted through the API, with the client's clock around the request.</summary>
internal sealed record Submission(BuildResponse Build, DateTimeOffset SentAt, DateTimeOffset AnsweredAt)
{
    public BuildTaskResponse SrpmTask => Build.Tasks.Single(t => t.SrpmTaskId is null);

    public BuildTaskResponse ArchTask => Build.Tasks.Single(t => t.SrpmTaskId is not null);
}

/// <summary>
/// Albs as it runs in production, minus the machines: the real host (<c>Program</c>) on Kestrel on a
/// loopback port with a fresh database (SQLite by default), and real sshd agents on loopback (the test fixtures),
/// registered through the API. All clients talk HTTP to it. Server, agents and this client share one
/// machine, so one clock: times from the API, from the agents and from the client can be subtracted.
/// </summary>
internal sealed class AlbsUnderTest : IAsyncDisposable
{
    public const string Platform = "Demo-1";
    public const string Arch = "x86_64";

    private readonly TestDatabase database;
    private readonly PostgresServer? postgres;
    private readonly List<SshAgentServer> agents = [];

    private AlbsUnderTest(TestDatabase database, PostgresServer? postgres, AlbsWebApp app)
    {
        this.database = database;
        this.postgres = postgres;
        App = app;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("Kestrel reports no address");
        BaseAddress = new Uri(addresses.First());
        Api = NewClient();
    }

    /// <summary>The server's database (its settings name the provider and connection).</summary>
    public TestDatabase Database => database;

    /// <summary>Where Kestrel listens (a free loopback port).</summary>
    public Uri BaseAddress { get; }

    public AlbsWebApp App { get; }

    /// <summary>An HTTP client with the bootstrap admin's token, reused for every call (one connection pool).</summary>
    public HttpClient Api { get; }

    public IReadOnlyList<SshAgentServer> Agents => agents;

    /// <summary>Starts the host on SQLite (the default provider) or on a PostgreSQL 15 server of its own.</summary>
    public static async Task<AlbsUnderTest> StartAsync(BenchOptions options)
    {
        var postgres = options.Database == "postgres" ? await PostgresServer.StartAsync() : null;
        var database = postgres is null ? TestDatabase.Sqlite() : await TestDatabase.PostgresAsync(postgres);
        var app = new AlbsWebApp(database, new Dictionary<string, string?>
        {
            ["Builds:AllowFileUrls"] = "true",

            // The console shows warnings and errors only; the probe keeps its production interval.
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        });
        app.UseKestrel(0);
        app.StartServer();
        return new AlbsUnderTest(database, postgres, app);
    }

    /// <summary>Starts an sshd agent and registers it (host key pinned); returns once the probe saw it online.</summary>
    public async Task<SshAgentServer> AddAgentAsync(string name, int slots, bool recordCommands, bool maintenance = false, int niceness = 0, string? cpuGroup = null, string? parentDirectory = null)
    {
        var server = await SshAgentServer.StartAsync(recordCommands, niceness, cpuGroup, parentDirectory);
        agents.Add(server);
        var request = new RegisterAgentRequest(
            name, server.Host, server.Port, server.User, server.ClientPrivateKey, null, server.HostKeyLine, [Arch, "noarch"], slots, server.WorkDirectory,
            Maintenance: maintenance);
        var response = await Api.PostAsJsonAsync("/api/v1/agents", request);
        await EnsureAsync(response, $"registering agent {name}");
        await WaitForStateAsync(name, AgentStates.Online);
        return server;
    }

    private async Task WaitForStateAsync(string name, string state)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            var agent = (await Api.GetFromJsonAsync<AgentResponse>($"/api/v1/agents/{name}"))!;
            if (agent.State == state)
            {
                return;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"agent {name} did not become {state}; it is {agent.State}: {agent.LastError}");
            }

            await Task.Delay(50);
        }
    }

    public async Task SetMaintenanceAsync(string agent, bool maintenance)
    {
        var response = await Api.PutAsJsonAsync($"/api/v1/agents/{agent}", new UpdateAgentRequest(Maintenance: maintenance));
        await EnsureAsync(response, $"updating agent {agent}");
    }

    /// <summary>A new HTTP client (its own connections) with the bootstrap admin's token.</summary>
    public HttpClient NewClient()
    {
        var client = App.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = BaseAddress, AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new("Bearer", AlbsWebApp.AdminToken);
        return client;
    }

    /// <summary>Submits a build of one git source for Demo-1 x86_64 (an SRPM task and an arch task).</summary>
    public async Task<Submission> SubmitAsync(string url, string gitRef = "main")
    {
        var (submission, error) = await TrySubmitAsync(url, gitRef);
        return submission ?? throw new InvalidOperationException($"submitting a build failed: {error}");
    }

    /// <summary>Like <see cref="SubmitAsync"/>, but a refused submission is returned as its status and body.</summary>
    public async Task<(Submission? Submission, string? Error)> TrySubmitAsync(string url, string gitRef = "main")
    {
        var request = new SubmitBuildRequest([new BuildPlatformRequest(Platform, [Arch])], [new BuildSourceRequest(url, gitRef)], Product: "demo");

        // Serialised before the clock starts: the figure is the server's, not the client's JSON writer.
        using var content = new StringContent(JsonSerializer.Serialize(request, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");
        var sent = DateTimeOffset.UtcNow;
        using var response = await Api.PostAsync("/api/v1/builds", content);
        var answered = DateTimeOffset.UtcNow;
        return response.IsSuccessStatusCode
            ? (new Submission((await response.Content.ReadFromJsonAsync<BuildResponse>())!, sent, answered), null)
            : (null, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<BuildResponse> GetAsync(long id) => (await Api.GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{id}"))!;

    /// <summary>Polls the build until it ends; returns it with the client time its end was first seen.</summary>
    public async Task<(BuildResponse Build, DateTimeOffset SeenAt)> WaitForEndAsync(long id, TimeSpan poll, TimeSpan limit)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        while (true)
        {
            var build = await GetAsync(id);
            var seen = DateTimeOffset.UtcNow;
            if (build.Status is "completed" or "failed" or "cancelled")
            {
                return (build, seen);
            }

            if (seen > deadline)
            {
                throw new TimeoutException($"build {id} did not end within {limit.TotalSeconds:0} s (status {build.Status})");
            }

            await Task.Delay(poll);
        }
    }

    /// <summary>Waits until every build of <paramref name="ids"/> ended (one list request per 100 builds and poll).</summary>
    public async Task<Dictionary<long, string>> WaitForAllAsync(IReadOnlyCollection<long> ids, TimeSpan limit)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        var wanted = ids.ToHashSet();
        while (true)
        {
            var statuses = new Dictionary<long, string>();
            for (var page = 1; statuses.Count < wanted.Count; page++)
            {
                var list = (await Api.GetFromJsonAsync<BuildListResponse>($"/api/v1/builds?page={page}&pageSize=100"))!;
                foreach (var item in list.Items.Where(i => wanted.Contains(i.Id)))
                {
                    statuses[item.Id] = item.Status;
                }

                if (list.Items.Count < 100)
                {
                    break;
                }
            }

            if (statuses.Count == wanted.Count && statuses.Values.All(s => s is "completed" or "failed" or "cancelled"))
            {
                return statuses;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                return statuses;
            }

            await Task.Delay(500);
        }
    }

    /// <summary>The exact <c>--define</c> arguments the executor gives rpmbuild for Demo-1 without options.</summary>
    public async Task<IReadOnlyList<string>> RpmbuildDefinesAsync()
    {
        using var scope = App.Services.CreateScope();
        var platform = await scope.ServiceProvider.GetRequiredService<IPlatformCatalog>().FindAsync(Platform, CancellationToken.None)
            ?? throw new InvalidOperationException($"platform {Platform} is missing");
        return scope.ServiceProvider.GetRequiredService<IMockConfigBuilder>().RpmbuildDefines(platform, RpmBuildOptions.None);
    }

    public static DateTimeOffset Utc(DateTime time) =>
        new(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime());

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await App.DisposeAsync();
        foreach (var agent in agents)
        {
            await agent.DisposeAsync();
        }

        database.Dispose();
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
