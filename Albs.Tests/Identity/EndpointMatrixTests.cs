using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Platforms.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Identity;

/// <summary>
/// The permission matrix, proved on every mutating API route found in the routing metadata: each
/// is called as anonymous, as a member of another team, as each role of the owning team and as a
/// superuser, each call on a fresh resource, and must answer 401, 403 or success exactly as the
/// table below says. A route without a row, or without a declared permission, fails the test.
/// </summary>
public sealed class EndpointMatrixTests : IAsyncLifetime, IDisposable
{
    private const string Anonymous = "anonymous";
    private const string Outsider = "outsider";
    private const string Manager = "manager";
    private const string Contributor = "contributor";
    private const string Observer = "observer";
    private const string Maintainer = "maintainer";
    private const string Signer = "signer";
    private const string Superuser = "superuser";

    private static readonly string[] Everyone = [Anonymous, Outsider, Manager, Contributor, Observer, Maintainer, Signer, Superuser];
    private static readonly string[] SignedIn = [Outsider, Manager, Contributor, Observer, Maintainer, Signer, Superuser];
    private static readonly string[] Builders = [Manager, Contributor, Superuser];
    private static readonly string[] Managers = [Manager, Superuser];
    private static readonly string[] Superusers = [Superuser];

    private readonly TestDatabase database = TestDatabase.Sqlite();
    private readonly Dictionary<string, HttpClient> callers = [];
    private AlbsWebApp app = null!;
    private SshAgentServer keys = null!;
    private TestGitRepository hello = null!;
    private int serial;

    public async Task InitializeAsync()
    {
        app = new AlbsWebApp(database, new Dictionary<string, string?>(AgentTestKit.NoProbe) { ["Builds:AllowFileUrls"] = "true" });
        keys = await SshAgentServer.StartAsync();
        hello = await TestGitRepository.CreateAsync("hello");
        await hello.CommitAsync("import", ("hello.spec", "Name: hello\n"));

        await RbacKit.TeamAsync(app, "alpha", "alpha");
        await RbacKit.TeamAsync(app, "beta", "beta");
        callers[Anonymous] = app.Client();
        callers[Superuser] = app.AdminClient();
        callers[Outsider] = await RbacKit.UserAsync(app, Outsider);
        await RbacKit.RolesAsync(app, "beta", Outsider, "manager", "contributor", "observer", "maintainer", "signer");
        foreach (var role in new[] { Manager, Contributor, Observer, Maintainer, Signer })
        {
            callers[role] = await RbacKit.UserAsync(app, role);
            await RbacKit.RolesAsync(app, "alpha", role, role);
        }
    }

    public async Task DisposeAsync()
    {
        await keys.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        app?.Dispose();
        hello?.Dispose();
        database.Dispose();
    }

    [Fact]
    public async Task Every_mutating_route_answers_each_caller_as_the_matrix_says()
    {
        var rows = Rows().ToDictionary(r => r.Route);
        var routes = MutatingApiRoutes();
        var problems = new List<string>();
        problems.AddRange(routes.Where(r => !rows.ContainsKey(r.Route)).Select(r => $"{r.Route}: no row in the matrix (add one with its expected callers)"));
        problems.AddRange(routes.Where(r => r.Permission is null).Select(r => $"{r.Route}: no RequirePermission(...) on the endpoint"));
        problems.AddRange(rows.Keys.Except(routes.Select(r => r.Route)).Select(r => $"{r}: a row for a route that does not exist"));
        problems.Should().BeEmpty("every mutating route must be declared and tested; routes found:\n" + string.Join('\n', routes.Select(r => r.Route)));

        foreach (var row in rows.Values)
        {
            foreach (var caller in Everyone)
            {
                var (url, body) = await row.Setup(caller);
                using var request = new HttpRequestMessage(new HttpMethod(row.Route.Split(' ')[0]), url) { Content = body };
                using var response = await callers[caller].SendAsync(request);
                var status = (int)response.StatusCode;
                var expected = row.Allowed.Contains(caller) ? "2xx" : caller == Anonymous ? "401" : "403";
                var ok = expected == "2xx" ? status is >= 200 and < 300 : status == int.Parse(expected, CultureInfo.InvariantCulture);
                if (!ok)
                {
                    problems.Add($"{row.Route} as {caller}: expected {expected}, got {status} {Truncate(await response.Content.ReadAsStringAsync())}");
                }
            }
        }

        problems.Should().BeEmpty();
    }

    [Fact]
    public void Every_api_read_that_needs_a_caller_declares_its_permission()
    {
        var reads = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null)
            .Where(e => e.Metadata.GetMetadata<PermissionMetadata>() is null)
            .Select(e => e.RoutePattern.RawText)
            .ToList();
        reads.Should().BeEquivalentTo(["/api/v1/me"], "a read is either public or names its permission");
    }

    [Fact]
    public async Task Permissions_are_collected_from_every_module()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var names = scope.ServiceProvider.GetRequiredService<IAccessControl>().Permissions.Select(p => p.Name);
        names.Should().Contain(["builds.create", "builds.cancel", "builds.restart", "lookaside.upload", "platforms.manage", "agents.manage", "teams.manage", "products.manage", "users.administer", "tokens.own"]);
    }

    private List<(string Route, PermissionDefinition? Permission)> MutatingApiRoutes() =>
        [.. app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Where(m => m is not ("GET" or "HEAD" or "OPTIONS"))
                .Select(m => ($"{m} {e.RoutePattern.RawText}", e.Metadata.GetMetadata<PermissionMetadata>()?.Permission)))
            .Distinct()];

    private IEnumerable<Row> Rows()
    {
        yield return new("POST /api/v1/builds", Builders, _ => Json("/api/v1/builds", Build()));
        yield return new("POST /api/v1/builds/{id:long}/cancel", Builders, async _ => ($"/api/v1/builds/{await SubmitAsync()}/cancel", null));
        yield return new("POST /api/v1/builds/{id:long}/restart-failed", Builders, async _ => ($"/api/v1/builds/{await FailedBuildAsync()}/restart-failed", null));
        yield return new("PUT /api/v1/lookaside/{name}/{filename}/{hashtype}/{hash}", [Outsider, Manager, Contributor, Superuser], _ => Task.FromResult(Lookaside()));
        yield return new("POST /api/v1/platforms/", Superusers, _ => Json("/api/v1/platforms", Platform(Next("plat"))));
        yield return new("PUT /api/v1/platforms/{name}", Superusers, async _ =>
        {
            var name = Next("plat");
            (await app.AdminClient().PostAsJsonAsync("/api/v1/platforms", Platform(name))).EnsureSuccessStatusCode();
            return await Json($"/api/v1/platforms/{name}", Platform(name));
        });
        yield return new("POST /api/v1/agents/", Superusers, _ => Json("/api/v1/agents", Agent(Next("agent"))));
        yield return new("PUT /api/v1/agents/{name}", Superusers, async _ => await Json($"/api/v1/agents/{await AgentAsync()}", new UpdateAgentRequest(Slots: 3)));
        yield return new("DELETE /api/v1/agents/{name}", Superusers, async _ => ($"/api/v1/agents/{await AgentAsync()}", null));
        yield return new("POST /api/v1/tokens/", SignedIn, _ => Json("/api/v1/tokens", new CreateApiTokenRequest("matrix", 1)));
        yield return new("DELETE /api/v1/tokens/{id:long}", SignedIn, async caller => ($"/api/v1/tokens/{await OwnTokenAsync(caller)}", null));
        yield return new("POST /api/v1/teams/", SignedIn, _ => Json("/api/v1/teams", new CreateTeamRequest(Next("team"))));
        yield return new("PUT /api/v1/teams/{team}/members/{user}", Managers, async _ =>
            await Json($"/api/v1/teams/alpha/members/{await NewUserAsync()}", new SetMemberRolesRequest(["observer"])));
        yield return new("DELETE /api/v1/teams/{team}/members/{user}", Managers, async _ =>
        {
            var user = await NewUserAsync();
            await RbacKit.RolesAsync(app, "alpha", user, "observer");
            return ($"/api/v1/teams/alpha/members/{user}", null);
        });
        yield return new("POST /api/v1/products/", Managers, _ => Json("/api/v1/products", new CreateProductRequest(Next("prod"), "alpha")));
        yield return new("PUT /api/v1/products/{product}", Managers, async _ =>
        {
            var product = Next("prod");
            (await app.AdminClient().PostAsJsonAsync("/api/v1/products", new CreateProductRequest(product, "alpha"))).EnsureSuccessStatusCode();
            return await Json($"/api/v1/products/{product}", new UpdateProductRequest(Title: "Renamed"));
        });
        yield return new("POST /api/v1/users/", Superusers, _ => Json("/api/v1/users", new CreateUserRequest(Next("user"), RbacKit.Password)));
        yield return new("PUT /api/v1/users/{user}", Superusers, async _ => await Json($"/api/v1/users/{await NewUserAsync()}", new UpdateUserRequest(IsDisabled: true)));
    }

    private string Next(string prefix) => $"{prefix}{Interlocked.Increment(ref serial).ToString(CultureInfo.InvariantCulture)}";

    private static Task<(string, HttpContent?)> Json<T>(string url, T body) => Task.FromResult<(string, HttpContent?)>((url, JsonContent.Create(body)));

    private SubmitBuildRequest Build() =>
        new([new BuildPlatformRequest("Demo-1", ["x86_64"])], [new BuildSourceRequest(hello.Url, "main")], Product: "alpha");

    /// <summary>A build of product alpha; with no agent registered its tasks stay idle.</summary>
    private async Task<long> SubmitAsync()
    {
        var response = await app.AdminClient().PostAsJsonAsync("/api/v1/builds", Build());
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<BuildResponse>())!.Id;
    }

    private async Task<long> FailedBuildAsync()
    {
        var id = await SubmitAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AlbsDbContext>();
        await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE builds_tasks SET status = 'failed', error = 'matrix' WHERE build_id = {id}");
        await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE builds_builds SET status = 'failed' WHERE id = {id}");
        return id;
    }

    private (string, HttpContent?) Lookaside()
    {
        var content = Encoding.UTF8.GetBytes($"source {Next("file")}\n");
        var hash = Convert.ToHexStringLower(SHA512.HashData(content));
        return ($"/api/v1/lookaside/hello/hello-1.0.tar.gz/sha512/{hash}", new ByteArrayContent(content));
    }

    private static PlatformRequest Platform(string name) => new(name, "Matrix", "1", ["x86_64"], DistTag: ".mx1");

    private RegisterAgentRequest Agent(string name) =>
        AgentTestKit.Request(keys, name) with { Host = "builder.invalid", HostKey = keys.HostKeyLine.Replace($"[{keys.Host}]:{keys.Port}", "builder.invalid", StringComparison.Ordinal), Port = 22 };

    private async Task<string> AgentAsync()
    {
        var name = Next("agent");
        (await app.AdminClient().PostAsJsonAsync("/api/v1/agents", Agent(name))).EnsureSuccessStatusCode();
        return name;
    }

    private async Task<string> NewUserAsync()
    {
        var name = Next("user");
        (await app.AdminClient().PostAsJsonAsync("/api/v1/users", new CreateUserRequest(name, RbacKit.Password))).EnsureSuccessStatusCode();
        return name;
    }

    /// <summary>A token of the caller's own (anonymous callers get someone's: they must be refused before it matters).</summary>
    private async Task<long> OwnTokenAsync(string caller)
    {
        var owner = caller switch { Anonymous => Contributor, Superuser => "admin", _ => caller };
        var secret = await RbacKit.TokenAsync(app, owner);
        var client = app.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        var tokens = await client.GetFromJsonAsync<List<ApiTokenResponse>>("/api/v1/tokens");
        return tokens!.Max(t => t.Id);
    }

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private sealed record Row(string Route, string[] Allowed, Func<string, Task<(string Url, HttpContent? Body)>> Setup);
}
