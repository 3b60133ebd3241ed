using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Platforms.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Identity;

/// <summary>
/// Teams, roles and products end to end through the API: who may build where, product-limited
/// tokens, changes that count at once, and the audit log.
/// </summary>
public sealed class RbacTests : IAsyncLifetime, IDisposable
{
    private readonly TestDatabase database = TestDatabase.Sqlite();
    private AlbsWebApp app = null!;
    private TestGitRepository hello = null!;

    public async Task InitializeAsync()
    {
        app = new AlbsWebApp(database, new Dictionary<string, string?>(AgentTestKit.NoProbe) { ["Builds:AllowFileUrls"] = "true" });
        hello = await TestGitRepository.CreateAsync("hello");
        await hello.CommitAsync("import", ("hello.spec", "Name: hello\n"));
        await RbacKit.TeamAsync(app, "alpha", "alpha");
        await RbacKit.TeamAsync(app, "beta", "beta");
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        app?.Dispose();
        hello?.Dispose();
        database.Dispose();
    }

    [Fact]
    public async Task A_contributor_builds_for_their_teams_product_and_gets_403_with_a_reason_for_another_teams()
    {
        var contributor = await RbacKit.UserAsync(app, "carol");
        await RbacKit.RolesAsync(app, "alpha", "carol", "contributor");

        var own = await contributor.PostAsJsonAsync("/api/v1/builds", Build("alpha"));
        own.StatusCode.Should().Be(HttpStatusCode.Created, await own.Content.ReadAsStringAsync());
        var build = (await own.Content.ReadFromJsonAsync<BuildResponse>())!;
        build.Product.Should().Be("alpha");
        build.CreatedBy.Should().Be("carol");

        var other = await contributor.PostAsJsonAsync("/api/v1/builds", Build("beta"));
        other.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        other.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = (await other.Content.ReadFromJsonAsync<ProblemDetails>())!;
        problem.Detail.Should().Be("You need the manager or contributor role in team beta to submit builds of the product (product beta).");

        // The product is checked before the rest of the request: no product is a 400 naming it.
        var none = await contributor.PostAsJsonAsync("/api/v1/builds", Build("alpha") with { Product = null });
        none.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await none.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors["product"].Single().Should().Contain("product is required");
        (await app.Client().GetFromJsonAsync<BuildListResponse>("/api/v1/builds?product=beta"))!.Total.Should().Be(0);
        (await app.Client().GetFromJsonAsync<BuildListResponse>("/api/v1/builds?product=alpha"))!.Items.Should().ContainSingle(b => b.Id == build.Id && b.Product == "alpha");
    }

    [Fact]
    public async Task An_observer_gets_403_on_submit_and_cancel_but_reads_the_team()
    {
        var observer = await RbacKit.UserAsync(app, "olga");
        await RbacKit.RolesAsync(app, "alpha", "olga", "observer");
        var build = await SubmitAsAdminAsync("alpha");

        (await observer.PostAsJsonAsync("/api/v1/builds", Build("alpha"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await observer.PostAsync($"/api/v1/builds/{build}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await app.Client().GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{build}"))!.Status.Should().Be("idle", "a refused cancel changes nothing");

        var members = await observer.GetFromJsonAsync<List<TeamMemberDto>>("/api/v1/teams/alpha/members");
        members.Should().ContainEquivalentOf(new TeamMemberDto("olga", ["observer"]));
        (await observer.GetAsync("/api/v1/teams/beta/members")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Anonymous_callers_read_everything_public_and_get_401_on_every_change()
    {
        var build = await SubmitAsAdminAsync("alpha");
        var anonymous = app.Client();
        foreach (var url in new[] { "/api/v1/builds", $"/api/v1/builds/{build}", "/api/v1/platforms", "/api/v1/agents", "/api/v1/teams", "/api/v1/teams/alpha", "/api/v1/products", "/api/v1/products/alpha" })
        {
            (await anonymous.GetAsync(url)).StatusCode.Should().Be(HttpStatusCode.OK, url);
        }

        (await anonymous.PostAsJsonAsync("/api/v1/builds", Build("alpha"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync($"/api/v1/builds/{build}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync("/api/v1/teams", new CreateTeamRequest("gamma"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync("/api/v1/teams/alpha/members")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync("/api/v1/audit")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_limited_to_a_product_acts_on_that_product_only_even_for_a_superuser()
    {
        var carol = await RbacKit.UserAsync(app, "carol");
        await RbacKit.RolesAsync(app, "alpha", "carol", "contributor");
        await RbacKit.RolesAsync(app, "beta", "carol", "contributor");
        var limited = await RbacKit.TokenClientAsync(app, "carol", product: "alpha");

        (await limited.PostAsJsonAsync("/api/v1/builds", Build("alpha"))).StatusCode.Should().Be(HttpStatusCode.Created);
        var refused = await limited.PostAsJsonAsync("/api/v1/builds", Build("beta"));
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await refused.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.Should().Contain("limited to product alpha");
        (await carol.PostAsJsonAsync("/api/v1/builds", Build("beta"))).StatusCode.Should().Be(HttpStatusCode.Created, "her unlimited token may");
        (await limited.PostAsJsonAsync("/api/v1/tokens", new CreateApiTokenRequest("escape", null))).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a limited token mints no unlimited one");

        var admin = await RbacKit.TokenClientAsync(app, "admin", product: "alpha");
        var me = (await admin.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!;
        me.IsSuperuser.Should().BeFalse();
        me.TokenProduct.Should().Be("alpha");
        (await admin.PostAsJsonAsync("/api/v1/platforms", new PlatformRequest("Limited-1", "L", "1", ["x86_64"]))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await admin.PostAsJsonAsync("/api/v1/builds", Build("beta"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await admin.PostAsJsonAsync("/api/v1/builds", Build("alpha"))).StatusCode.Should().Be(HttpStatusCode.Created, "admin founded team alpha, so manages it");

        var created = await (await carol.PostAsJsonAsync("/api/v1/tokens", new CreateApiTokenRequest("ci", 30, "alpha"))).Content.ReadFromJsonAsync<CreatedApiTokenResponse>();
        created!.Product.Should().Be("alpha");
        (await carol.GetFromJsonAsync<List<ApiTokenResponse>>("/api/v1/tokens"))!.Should().Contain(t => t.Id == created.Id && t.Product == "alpha");
        (await carol.PostAsJsonAsync("/api/v1/tokens", new CreateApiTokenRequest("ci", 30, "nope"))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Role_and_account_changes_count_from_the_next_request_and_a_team_keeps_a_manager()
    {
        var dave = await RbacKit.UserAsync(app, "dave");
        await RbacKit.RolesAsync(app, "alpha", "dave", "contributor");
        (await dave.PostAsJsonAsync("/api/v1/builds", Build("alpha"))).StatusCode.Should().Be(HttpStatusCode.Created);

        await RbacKit.RolesAsync(app, "alpha", "dave", "observer");
        (await dave.PostAsJsonAsync("/api/v1/builds", Build("alpha"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        (await app.AdminClient().PutAsJsonAsync("/api/v1/users/dave", new UpdateUserRequest(IsDisabled: true))).EnsureSuccessStatusCode();
        (await dave.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a disabled account's tokens stop working");

        var lastManager = await app.AdminClient().PutAsJsonAsync("/api/v1/teams/alpha/members/admin", new SetMemberRolesRequest([]));
        lastManager.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await lastManager.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.Should().Contain("last manager");

        var self = await app.AdminClient().PutAsJsonAsync("/api/v1/users/admin", new UpdateUserRequest(IsSuperuser: false));
        self.StatusCode.Should().Be(HttpStatusCode.Conflict);

        var badRole = await app.AdminClient().PutAsJsonAsync("/api/v1/teams/alpha/members/dave", new SetMemberRolesRequest(["owner"]));
        (await badRole.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors["roles"].Single().Should().Contain("'owner' is not a role");
    }

    [Fact]
    public async Task A_manager_runs_their_team_but_not_another_and_anyone_may_found_a_team()
    {
        var mia = await RbacKit.UserAsync(app, "mia");
        await RbacKit.UserAsync(app, "ned");
        await RbacKit.RolesAsync(app, "alpha", "mia", "manager");

        (await mia.PutAsJsonAsync("/api/v1/teams/alpha/members/ned", new SetMemberRolesRequest(["contributor", "signer"]))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await mia.PutAsJsonAsync("/api/v1/teams/beta/members/ned", new SetMemberRolesRequest(["contributor"]))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await mia.PostAsJsonAsync("/api/v1/products", new CreateProductRequest("alpha-extras", "alpha"))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await mia.PostAsJsonAsync("/api/v1/products", new CreateProductRequest("beta-extras", "beta"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await mia.PutAsJsonAsync("/api/v1/products/alpha-extras", new UpdateProductRequest(Team: "beta"))).StatusCode.Should().Be(HttpStatusCode.Forbidden, "moving a product needs manager in both teams");

        var ned = await RbacKit.TokenClientAsync(app, "ned");
        var created = await ned.PostAsJsonAsync("/api/v1/teams", new CreateTeamRequest("neds-copr"));
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        (await ned.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!.Teams.Should().BeEquivalentTo([
            new UserTeamDto("alpha", ["contributor", "signer"]),
            new UserTeamDto("neds-copr", ["manager"]),
        ]);
        (await ned.PostAsJsonAsync("/api/v1/teams", new CreateTeamRequest("Neds-COPR"))).StatusCode.Should().Be(HttpStatusCode.Conflict, "names are unique ignoring case");
        (await ned.PostAsJsonAsync("/api/v1/teams", new CreateTeamRequest("../etc"))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Role_changes_and_build_cancels_are_audited_and_only_superusers_read_the_log()
    {
        await RbacKit.UserAsync(app, "erin");
        await RbacKit.RolesAsync(app, "alpha", "erin", "contributor", "observer");
        var build = await SubmitAsAdminAsync("alpha");
        var erin = await RbacKit.TokenClientAsync(app, "erin");
        (await erin.PostAsync($"/api/v1/builds/{build}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.OK);

        var admin = app.AdminClient();
        var roles = (await admin.GetFromJsonAsync<AuditListResponse>("/api/v1/audit?action=team.member.roles&objectId=alpha"))!;
        var change = roles.Items.Should().ContainSingle(e => e.Details!.Contains("\"erin\"", StringComparison.Ordinal)).Subject;
        change.Actor.Should().Be("admin");
        change.ObjectType.Should().Be("team");
        change.Details.Should().Contain("\"after\":[\"contributor\",\"observer\"]");

        var cancels = (await admin.GetFromJsonAsync<AuditListResponse>("/api/v1/audit?action=build"))!;
        cancels.Items.Should().ContainSingle(e => e.Action == "build.cancel" && e.ObjectId == build.ToString(System.Globalization.CultureInfo.InvariantCulture) && e.Actor == "erin");
        (await admin.GetFromJsonAsync<AuditListResponse>("/api/v1/audit?actor=erin"))!.Items.Should().OnlyContain(e => e.Actor == "erin");
        (await admin.GetFromJsonAsync<AuditListResponse>($"/api/v1/audit?since={DateTime.UtcNow.AddHours(1):O}"))!.Total.Should().Be(0);

        (await erin.GetAsync("/api/v1/audit")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_audit_log_refuses_updates_and_deletes_in_the_database()
    {
        await RbacKit.UserAsync(app, "fay");
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AlbsDbContext>();
        (await db.Database.SqlQueryRaw<long>("SELECT COUNT(*) AS \"Value\" FROM identity_audit_log").SingleAsync()).Should().BeGreaterThan(0);

        var update = () => db.Database.ExecuteSqlRawAsync("UPDATE identity_audit_log SET actor = 'nobody'");
        (await update.Should().ThrowAsync<Exception>()).Which.Message.Should().Contain("append-only");
        var delete = () => db.Database.ExecuteSqlRawAsync("DELETE FROM identity_audit_log");
        (await delete.Should().ThrowAsync<Exception>()).Which.Message.Should().Contain("append-only");
        (await db.Database.SqlQueryRaw<string>("SELECT actor AS \"Value\" FROM identity_audit_log").ToListAsync()).Should().NotContain("nobody");
    }

    private static SubmitBuildRequest BuildOf(string url, string product) =>
        new([new BuildPlatformRequest("Demo-1", ["x86_64"])], [new BuildSourceRequest(url, "main")], Product: product);

    private SubmitBuildRequest Build(string product) => BuildOf(hello.Url, product);

    private async Task<long> SubmitAsAdminAsync(string product)
    {
        await RbacKit.RolesAsync(app, product, "admin", "manager");
        var response = await app.AdminClient().PostAsJsonAsync("/api/v1/builds", Build(product));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<BuildResponse>())!.Id;
    }
}
