using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Platforms.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Support;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Albs.Tests.Web;

/// <summary>The superusers' pages, driven through their real forms (antiforgery included) on the real host.</summary>
public sealed class AdminPagesTests : WebAppTest
{
    [Fact]
    public async Task Admin_creates_a_local_user_finds_them_disables_them_and_makes_them_superuser()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        var created = await PageKit.SubmitAsync(admin, "/admin/users", "create-user", new()
        {
            ["NewUser.UserName"] = "dora",
            ["NewUser.Email"] = "dora@example.org",
            ["NewUser.Password"] = PageKit.Password,
        });
        PageKit.Message(created).Should().Contain("dora");

        var found = await PageKit.GetAsync(admin, "/admin/users?q=dora@example");
        found.QuerySelectorAll("[data-testid=users] tbody tr").Select(r => r.GetAttribute("data-user")).Should().Equal("dora");
        (await PageKit.GetAsync(admin, "/admin/users?q=nobody-like-this")).QuerySelectorAll("[data-testid=users] tbody tr").Should().BeEmpty();

        (await PageKit.SignInFailsAsync(App, "dora", PageKit.Password)).Should().BeFalse("a new enabled user signs in");
        var disabled = await PageKit.SubmitAsync(admin, "/admin/users?q=dora", "user-action", new() { ["UserAction"] = "disable:dora" });
        PageKit.Message(disabled).Should().Contain("dora is disabled");
        disabled.QuerySelector("tr[data-user=dora] [data-testid=disabled]").Should().NotBeNull();
        (await PageKit.SignInFailsAsync(App, "dora", PageKit.Password)).Should().BeTrue("a disabled user cannot sign in");

        await PageKit.SubmitAsync(admin, "/admin/users?q=dora", "user-action", new() { ["UserAction"] = "enable:dora" });
        var promoted = await PageKit.SubmitAsync(admin, "/admin/users?q=dora", "user-action", new() { ["UserAction"] = "promote:dora" });
        promoted.QuerySelector("tr[data-user=dora] [data-testid=superuser]").Should().NotBeNull();
        var dora = await PageKit.SignedInAsync(App, "dora", PageKit.Password);
        (await dora.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!.IsSuperuser.Should().BeTrue();
        (await dora.GetAsync("/admin/users")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_bad_new_user_is_answered_on_the_page_and_nobody_is_created()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        var page = await PageKit.SubmitAsync(admin, "/admin/users", "create-user", new() { ["NewUser.UserName"] = "eve", ["NewUser.Password"] = "short" });
        page.QuerySelector("[data-testid=message]")!.ClassList.Should().Contain("alert-danger");
        page.QuerySelectorAll(".validation-message[data-field=password]").Should().NotBeEmpty("the password rules are named beside the field");
        page.QuerySelector("#new-user-name")!.GetAttribute("value").Should().Be("eve");
        (await PageKit.GetAsync(admin, "/admin/users?q=eve")).QuerySelectorAll("[data-testid=users] tbody tr").Should().BeEmpty();
    }

    [Fact]
    public async Task Own_token_is_shown_once_authenticates_the_api_and_stops_when_revoked()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        await PageKit.CreateUserAsync(admin, "finn");
        var finn = await PageKit.SignedInAsync(App, "finn", PageKit.Password);

        var page = await PageKit.SubmitAsync(finn, "/account/tokens", "create-token", new() { ["NewToken.Name"] = "laptop", ["NewToken.ExpiresInDays"] = "30" });
        var secret = page.QuerySelector("[data-testid=new-token-secret]")!.GetAttribute("value")!;
        secret.Should().StartWith("albs_");
        page.QuerySelectorAll("[data-testid=tokens] tbody tr").Should().ContainSingle();

        var again = await PageKit.GetAsync(finn, "/account/tokens");
        again.QuerySelector("[data-testid=new-token-secret]").Should().BeNull();
        again.DocumentElement.OuterHtml.Should().NotContain(secret, "the secret is shown only once");

        var script = App.Client();
        script.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        (await script.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!.UserName.Should().Be("finn");

        var id = again.QuerySelector("[data-testid=tokens] tbody tr")!.GetAttribute("data-token")!;
        var revoked = await PageKit.SubmitAsync(finn, "/account/tokens", "revoke-token", new() { ["RevokeToken"] = id });
        PageKit.Message(revoked).Should().Contain("revoked");
        (await script.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var everyToken = await PageKit.GetAsync(admin, "/admin/tokens");
        everyToken.QuerySelector($"tr[data-token='{id}']")!.TextContent.Should().Contain("finn").And.Contain("revoked");
    }

    [Fact]
    public async Task Superuser_revokes_another_users_token_on_the_tokens_page()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        await PageKit.CreateUserAsync(admin, "gail");
        var gail = await PageKit.SignedInAsync(App, "gail", PageKit.Password);
        var page = await PageKit.SubmitAsync(gail, "/account/tokens", "create-token", new() { ["NewToken.Name"] = "ci" });
        var secret = page.QuerySelector("[data-testid=new-token-secret]")!.GetAttribute("value")!;
        var id = page.QuerySelector("[data-testid=tokens] tbody tr")!.GetAttribute("data-token")!;

        var revoked = await PageKit.SubmitAsync(admin, "/admin/tokens", "revoke-token", new() { ["RevokeToken"] = id });
        PageKit.Message(revoked).Should().Contain("gail");
        var script = App.Client();
        script.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        (await script.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Platform_is_created_and_edited_on_the_admin_pages_with_errors_beside_the_fields()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        var fields = new Dictionary<string, string>
        {
            ["Input.Name"] = "Rocky-9",
            ["Input.DistributionName"] = "Rocky Linux",
            ["Input.DistributionVersion"] = "9",
            ["Input.Arches"] = "x86_64, aarch64",
            ["Input.DistTag"] = "el9",
            ["Input.RpmMacros"] = "vendor = Rocky\n# a comment\npackager = Rocky Build",
            ["Input.Repositories"] = "baseos https://dl.rockylinux.org/pub/rocky/9/BaseOS/$basearch/os/\nextra https://example.org/extra/ aarch64",
            ["Input.TimeoutMinutes"] = "600",
            ["Input.IsActive"] = "true",
        };
        var invalid = await PageKit.SubmitAsync(admin, "/admin/platforms/new", "platform", fields);
        invalid.QuerySelector(".validation-message[data-field=distTag]")!.TextContent.Should().Contain("e.g. \".el9\"");
        invalid.QuerySelector("#p-dist")!.GetAttribute("value").Should().Be("Rocky Linux", "what was typed stays in the form");
        (await App.Client().GetAsync("/api/v1/platforms/Rocky-9")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        fields["Input.DistTag"] = ".el9";
        var created = await PageKit.PostAsync(admin, "/admin/platforms/new", "platform", fields);
        created.StatusCode.Should().Be(HttpStatusCode.Redirect);
        created.Headers.Location!.ToString().Should().Contain("/admin/platforms/Rocky-9");
        var platform = (await App.Client().GetFromJsonAsync<PlatformDto>("/api/v1/platforms/Rocky-9"))!;
        (platform.DistTag, platform.TimeoutMinutes, platform.NoarchArch, platform.IsActive).Should().Be((".el9", 600, "x86_64", true));
        platform.Arches.Should().Equal("x86_64", "aarch64");
        platform.RpmMacros.Should().BeEquivalentTo(new Dictionary<string, string> { ["vendor"] = "Rocky", ["packager"] = "Rocky Build" });
        platform.Repositories.Should().BeEquivalentTo(new PlatformRepositoryDto[]
        {
            new("baseos", "https://dl.rockylinux.org/pub/rocky/9/BaseOS/$basearch/os/"),
            new("extra", "https://example.org/extra/", ["aarch64"]),
        });
        (await PageKit.GetAsync(admin, "/admin/platforms")).QuerySelector("tr[data-platform='Rocky-9']").Should().NotBeNull();

        var edit = await PageKit.GetAsync(admin, "/admin/platforms/rocky-9");
        edit.QuerySelector("#p-macros")!.TextContent.Should().Contain("vendor = Rocky");
        var badRepository = await PageKit.SubmitAsync(admin, "/admin/platforms/Rocky-9", "platform", FieldsOf(edit, ("Input.Repositories", "baseos ftp://example.org/")));
        badRepository.QuerySelectorAll(".validation-message[data-field=repositories]").Should().NotBeEmpty();
        var badTimeout = await PageKit.SubmitAsync(admin, "/admin/platforms/Rocky-9", "platform", FieldsOf(edit, ("Input.TimeoutMinutes", "soon")));
        badTimeout.QuerySelector(".validation-message[data-field=timeoutMinutes]")!.TextContent.Should().Contain("whole number");

        var saved = await PageKit.SubmitAsync(admin, "/admin/platforms/Rocky-9", "platform", FieldsOf(edit, ("Input.TimeoutMinutes", "90"), ("Input.IsActive", null)));
        PageKit.Message(saved).Should().Contain("saved");
        var changed = (await App.Client().GetFromJsonAsync<PlatformDto>("/api/v1/platforms/Rocky-9"))!;
        (changed.TimeoutMinutes, changed.IsActive, changed.DistTag, changed.Repositories.Count).Should().Be((90, false, ".el9", 2));

        var audit = await PageKit.GetAsync(admin, "/admin/audit?objectType=platform&objectId=Rocky-9");
        audit.QuerySelectorAll("[data-testid=audit] tbody tr").Select(r => r.GetAttribute("data-action")).Should().Equal("platform.update", "platform.create");
    }

    [Fact]
    public async Task Platform_changes_through_the_api_share_the_pages_code_and_are_audited_too()
    {
        var api = App.AdminClient();
        var request = new PlatformRequest("Api-1", "Api Linux", "1", ["x86_64"], DistTag: ".api1");
        (await api.PostAsJsonAsync("/api/v1/platforms", request)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await api.PutAsJsonAsync("/api/v1/platforms/api-1", request with { Name = null, TimeoutMinutes = 30 })).StatusCode.Should().Be(HttpStatusCode.OK);

        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        var audit = await PageKit.GetAsync(admin, "/admin/audit?action=platform&actor=admin");
        var rows = audit.QuerySelectorAll("[data-testid=audit] tbody tr").ToList();
        rows.Select(r => r.GetAttribute("data-action")).Should().Equal("platform.update", "platform.create");
        rows[0].TextContent.Should().Contain("Api-1").And.Contain("timeoutMinutes");
        (await admin.GetAsync("/admin/platforms/No-Such-1")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var form = await AlbsWebApp.FormAsync(admin, "/admin/platforms/Api-1", "platform");
        form["Input.DistributionName"] = "Gone";
        (await admin.PostAsync("/admin/platforms/No-Such-1", new FormUrlEncodedContent(form))).StatusCode.Should().NotBe(HttpStatusCode.InternalServerError);
        (await admin.GetAsync("/admin/agents/no-such")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Audit_log_lists_a_role_change_and_filters_by_action()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        await PageKit.CreateUserAsync(admin, "hank");
        await PageKit.SubmitAsync(admin, "/teams", "create-team", new() { ["NewTeam.Name"] = "audited" });
        await PageKit.SubmitAsync(admin, "/teams/audited", "add-member", new() { ["Member.UserName"] = "hank", ["Member.Signer"] = "true" });

        var all = await PageKit.GetAsync(admin, "/admin/audit");
        var actions = all.QuerySelectorAll("[data-testid=audit] tbody tr").Select(r => r.GetAttribute("data-action")!).ToList();
        var roleChange = actions.Should().ContainSingle(a => a.StartsWith("team.member", StringComparison.Ordinal)).Subject;
        actions.Should().Contain(a => a.StartsWith("user.", StringComparison.Ordinal)).And.Contain(a => a.StartsWith("team.create", StringComparison.Ordinal));
        var row = all.QuerySelector($"[data-testid=audit] tr[data-action='{roleChange}']")!;
        row.TextContent.Should().Contain("admin").And.Contain("audited").And.Contain("signer");

        var filtered = await PageKit.GetAsync(admin, $"/admin/audit?action={Uri.EscapeDataString(roleChange)}");
        filtered.QuerySelectorAll("[data-testid=audit] tbody tr").Select(r => r.GetAttribute("data-action")).Should().Equal(roleChange);
        filtered.QuerySelector("#f-action")!.GetAttribute("value").Should().Be(roleChange, "the filter stays in the form");
        var later = await PageKit.GetAsync(admin, $"/admin/audit?since={DateTime.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm}");
        later.QuerySelectorAll("[data-testid=audit] tbody tr").Should().BeEmpty();
    }

    [Fact]
    public async Task Agent_registration_with_a_malformed_host_key_is_refused_beside_the_field()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        var page = await PageKit.SubmitAsync(admin, "/admin/agents", "register-agent", new()
        {
            ["Input.Name"] = "builder1",
            ["Input.Host"] = "127.0.0.1",
            ["Input.User"] = "albs",
            ["Input.PrivateKeyPath"] = "/nonexistent/key",
            ["Input.HostKey"] = "ssh-ed25519 not-base64!!",
            ["Input.Arches"] = "x86_64",
        });
        page.QuerySelectorAll(".validation-message[data-field=hostKey]").Should().NotBeEmpty();
        page.QuerySelectorAll("[data-testid=agents] tbody tr").Should().BeEmpty();
        var slots = await PageKit.SubmitAsync(admin, "/admin/agents", "register-agent", new() { ["Input.Name"] = "builder1", ["Input.Slots"] = "many" });
        slots.QuerySelector(".validation-message[data-field=slots]")!.TextContent.Should().Contain("whole number");
    }

    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/users")]
    [InlineData("/admin/tokens")]
    [InlineData("/admin/audit")]
    [InlineData("/admin/platforms")]
    [InlineData("/admin/platforms/new")]
    [InlineData("/admin/agents")]
    public async Task Admin_pages_send_anonymous_visitors_to_sign_in_and_deny_other_users(string page)
    {
        var anonymous = await App.Client().GetAsync(page);
        anonymous.StatusCode.Should().Be(HttpStatusCode.Redirect);
        anonymous.Headers.Location!.ToString().Should().Contain("/account/login");

        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        (await admin.GetAsync(page)).StatusCode.Should().Be(HttpStatusCode.OK);
        await PageKit.CreateUserAsync(admin, "ivan");
        var ivan = await PageKit.SignedInAsync(App, "ivan", PageKit.Password);
        var denied = await ivan.GetAsync(page);
        denied.StatusCode.Should().Be(HttpStatusCode.Redirect);
        denied.Headers.Location!.ToString().Should().Contain("/account/access-denied");
    }

    [Fact]
    public async Task Own_tokens_page_needs_a_sign_in_and_posts_need_the_antiforgery_token()
    {
        var anonymous = await App.Client().GetAsync("/account/tokens");
        anonymous.StatusCode.Should().Be(HttpStatusCode.Redirect);
        anonymous.Headers.Location!.ToString().Should().Contain("/account/login");

        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        var forged = await admin.PostAsync("/admin/users", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "create-user",
            ["NewUser.UserName"] = "mallory",
            ["NewUser.Password"] = PageKit.Password,
        }));
        forged.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var noToken = await admin.PostAsync("/account/tokens", new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "create-token", ["NewToken.Name"] = "x" }));
        noToken.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await PageKit.GetAsync(admin, "/admin/users?q=mallory")).QuerySelectorAll("[data-testid=users] tbody tr").Should().BeEmpty();
    }

    private static Dictionary<string, string> FieldsOf(IHtmlDocument page, params (string Name, string? Value)[] changes)
    {
        var form = page.QuerySelector("[data-testid=platform-form]")!;
        var fields = form.QuerySelectorAll("input[name], textarea[name]")
            .Where(e => e.GetAttribute("type") is not "checkbox" || e.HasAttribute("checked"))
            .ToDictionary(e => e.GetAttribute("name")!, e => e is IHtmlTextAreaElement t ? t.Value : e.GetAttribute("value") ?? "");
        foreach (var (name, value) in changes)
        {
            if (value is null)
            {
                fields.Remove(name);
            }
            else
            {
                fields[name] = value;
            }
        }

        return fields;
    }
}

/// <summary>Reading pages and posting their forms the way a browser does.</summary>
internal static class PageKit
{
    public const string Password = "Page-Test-Pass-1";

    public static async Task<HttpClient> SignedInAsync(AlbsWebApp app, string userName, string password)
    {
        var client = app.Client();
        var response = await AlbsWebApp.SignInAsync(client, userName, password);
        response.StatusCode.Should().Be(HttpStatusCode.Redirect, $"{userName} signs in");
        return client;
    }

    /// <summary>True when the login form refuses the user (the page comes back instead of a redirect).</summary>
    public static async Task<bool> SignInFailsAsync(AlbsWebApp app, string userName, string password) =>
        (await AlbsWebApp.SignInAsync(app.Client(), userName, password)).StatusCode != HttpStatusCode.Redirect;

    public static async Task CreateUserAsync(HttpClient admin, string userName)
    {
        var page = await SubmitAsync(admin, "/admin/users", "create-user", new() { ["NewUser.UserName"] = userName, ["NewUser.Password"] = Password });
        Message(page).Should().Be($"User {userName} created.");
    }

    public static async Task<IHtmlDocument> GetAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        response.StatusCode.Should().Be(HttpStatusCode.OK, url);
        return await ParseAsync(response);
    }

    public static async Task<IHtmlDocument> ParseAsync(HttpResponseMessage response) =>
        await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync());

    /// <summary>Posts the page's form <paramref name="formName"/> with its hidden fields (antiforgery token included) and <paramref name="fields"/>.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string page, string formName, Dictionary<string, string> fields)
    {
        var form = await AlbsWebApp.FormAsync(client, page, formName);
        foreach (var (name, value) in fields)
        {
            form[name] = value;
        }

        return await client.PostAsync(page, new FormUrlEncodedContent(form));
    }

    /// <summary><see cref="PostAsync"/>, expecting the page back (200).</summary>
    public static async Task<IHtmlDocument> SubmitAsync(HttpClient client, string page, string formName, Dictionary<string, string> fields)
    {
        var response = await PostAsync(client, page, formName, fields);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return await new HtmlParser().ParseDocumentAsync(body);
    }

    public static string? Message(IHtmlDocument page) => page.QuerySelector("[data-testid=message]")?.TextContent.Trim();
}

/// <summary>Teams and products: public reading, managers' forms, and the same refusals as the API for everyone else.</summary>
public sealed class AdminPagesTeamsTests : WebAppTest
{
    [Fact]
    public async Task A_team_is_created_its_members_roles_set_and_a_product_created_on_its_page()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        await PageKit.CreateUserAsync(admin, "jane");
        var created = await PageKit.SubmitAsync(admin, "/teams", "create-team", new() { ["NewTeam.Name"] = "core", ["NewTeam.Description"] = "The distribution's own packages" });
        PageKit.Message(created).Should().Contain("core");
        created.QuerySelector("tr[data-team=core]").Should().NotBeNull();

        var added = await PageKit.SubmitAsync(admin, "/teams/core", "add-member", new() { ["Member.UserName"] = "jane", ["Member.Contributor"] = "true", ["Member.Observer"] = "true" });
        PageKit.Message(added).Should().Contain("jane");
        Roles(added, "jane").Should().BeEquivalentTo("contributor", "observer");

        var changed = await PageKit.SubmitAsync(admin, "/teams/core", "member-jane", new() { ["Member.Maintainer"] = "true" });
        Roles(changed, "jane").Should().Equal("maintainer");
        changed.QuerySelector("form input[name='Member.Maintainer'][id='m-jane-maintainer']")!.HasAttribute("checked").Should().BeTrue();

        var product = await PageKit.SubmitAsync(admin, "/teams/core", "create-product", new() { ["NewProduct.Name"] = "almalinux", ["NewProduct.Title"] = "AlmaLinux OS" });
        PageKit.Message(product).Should().Contain("almalinux");
        product.QuerySelector("[data-testid=team-products] a[href='products/almalinux']").Should().NotBeNull();

        var edited = await PageKit.SubmitAsync(admin, "/products/almalinux", "edit-product", new() { ["Input.Title"] = "AlmaLinux OS", ["Input.Description"] = "The enterprise distribution" });
        edited.QuerySelector("[data-testid=product-description]")!.TextContent.Should().Be("The enterprise distribution");

        var removed = await PageKit.SubmitAsync(admin, "/teams/core", "member-jane", new() { ["Member.Remove"] = "true" });
        removed.QuerySelector("tr[data-member=jane]").Should().BeNull();
    }

    [Fact]
    public async Task A_contributor_gets_no_role_forms_and_a_forged_post_is_refused_with_a_message()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        await PageKit.CreateUserAsync(admin, "kim");
        await PageKit.SubmitAsync(admin, "/teams", "create-team", new() { ["NewTeam.Name"] = "web" });
        await PageKit.SubmitAsync(admin, "/teams/web", "add-member", new() { ["Member.UserName"] = "kim", ["Member.Contributor"] = "true" });
        await PageKit.SubmitAsync(admin, "/teams/web", "create-product", new() { ["NewProduct.Name"] = "webapp", ["NewProduct.Title"] = "Web app" });

        var kim = await PageKit.SignedInAsync(App, "kim", PageKit.Password);
        var page = await PageKit.GetAsync(kim, "/teams/web");
        Roles(page, "kim").Should().Equal("contributor");
        page.QuerySelectorAll("form input[name=_handler]").Select(i => i.GetAttribute("value")).Should().NotContain(["add-member", "member-kim", "create-product"]);
        (await PageKit.GetAsync(kim, "/products/webapp")).QuerySelector("[data-testid=edit-product]").Should().BeNull();

        // A token from a form kim may use (antiforgery tokens belong to the user, not to a form).
        var token = (await AlbsWebApp.FormAsync(kim, "/teams", "create-team"))["__RequestVerificationToken"];
        var forged = await kim.PostAsync("/teams/web", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "member-kim",
            ["__RequestVerificationToken"] = token,
            ["Member.UserName"] = "kim",
            ["Member.Manager"] = "true",
        }));
        forged.StatusCode.Should().Be(HttpStatusCode.OK);
        var answer = await PageKit.ParseAsync(forged);
        PageKit.Message(answer).Should().StartWith("You may not set roles in team web");
        answer.QuerySelectorAll("form input[name=_handler]").Select(i => i.GetAttribute("value")).Should().NotContain("member-kim");
        Roles(await PageKit.GetAsync(admin, "/teams/web"), "kim").Should().Equal("contributor");

        var forgedProduct = await kim.PostAsync("/products/webapp", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "edit-product",
            ["__RequestVerificationToken"] = token,
            ["Input.Title"] = "Defaced",
        }));
        PageKit.Message(await PageKit.ParseAsync(forgedProduct)).Should().StartWith("You may not edit product webapp");
        (await PageKit.GetAsync(App.Client(), "/products/webapp")).QuerySelector("h1")!.TextContent.Should().Contain("Web app");
    }

    [Fact]
    public async Task Teams_and_products_are_read_without_an_account_and_members_stay_private()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        await PageKit.SubmitAsync(admin, "/teams", "create-team", new() { ["NewTeam.Name"] = "community", ["NewTeam.Description"] = "Everyone's packages" });
        await PageKit.SubmitAsync(admin, "/teams/community", "create-product", new() { ["NewProduct.Name"] = "extras", ["NewProduct.Title"] = "Extras" });

        var anonymous = App.Client();
        var teams = await PageKit.GetAsync(anonymous, "/teams");
        teams.QuerySelector("tr[data-team=community]")!.TextContent.Should().Contain("Everyone's packages").And.Contain("extras");
        teams.QuerySelector("form input[name=_handler][value=create-team]").Should().BeNull("only signed-in users create teams");
        var team = await PageKit.GetAsync(anonymous, "/teams/community");
        team.QuerySelector("[data-testid=members-hidden]").Should().NotBeNull();
        team.QuerySelector("[data-testid=members]").Should().BeNull();
        team.QuerySelectorAll("form[method=post]").Should().BeEmpty();
        var products = await PageKit.GetAsync(anonymous, "/products");
        products.QuerySelector("tr[data-product=extras]")!.TextContent.Should().Contain("community");
        (await PageKit.GetAsync(anonymous, "/products/extras")).QuerySelector("[data-testid=edit-product]").Should().BeNull();
        (await anonymous.GetAsync("/teams/no-such-team")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await anonymous.GetAsync("/products/no-such-product")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var forged = await anonymous.PostAsync("/teams", new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "create-team", ["NewTeam.Name"] = "x" }));
        forged.StatusCode.Should().Be(HttpStatusCode.BadRequest, "a post without the antiforgery token is rejected");
    }

    private static List<string> Roles(IHtmlDocument page, string member) =>
        [.. page.QuerySelectorAll($"tr[data-member='{member}'] [data-testid=roles] .badge").Select(b => b.TextContent.Trim())];
}

/// <summary>Registering an agent on the page against a real sshd on loopback: scan, confirm, change, remove.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AdminPagesAgentTests : AgentWebTest
{
    [Fact]
    public async Task An_agent_is_registered_after_confirming_its_scanned_host_key_then_changed_and_removed()
    {
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);
        var fields = new Dictionary<string, string>
        {
            ["Input.Name"] = "loop1",
            ["Input.Host"] = Agent.Host,
            ["Input.Port"] = Agent.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Input.User"] = Agent.User,
            ["Input.PrivateKey"] = Agent.ClientPrivateKey,
            ["Input.Arches"] = "x86_64 noarch",
            ["Input.Slots"] = "2",
            ["Input.WorkDirectory"] = Agent.WorkDirectory,
        };
        var scan = await PageKit.SubmitAsync(admin, "/admin/agents", "register-agent", fields);
        scan.QuerySelector("[data-testid=scanned-host-keys]")!.TextContent.Should().Contain("SHA256:");
        scan.QuerySelectorAll("[data-testid=agents] tbody tr").Should().BeEmpty("nothing is registered before the host key is confirmed");
        var scannedKey = scan.QuerySelector("#a-hostkey")!.TextContent;
        scannedKey.Should().Contain(Agent.HostKeyLine.Split(' ')[2]);
        scan.DocumentElement.OuterHtml.Should().NotContain("PRIVATE KEY", "the private key is never sent back");

        fields["Input.HostKey"] = scannedKey;
        var registered = await PageKit.SubmitAsync(admin, "/admin/agents", "register-agent", fields);
        PageKit.Message(registered).Should().Contain("loop1 registered");
        await AgentTestKit.WaitForStateAsync(App, "loop1", AgentStates.Online);
        (await PageKit.GetAsync(admin, "/admin/agents")).QuerySelector("tr[data-agent=loop1] [data-testid=agent-state]")!.TextContent.Should().Be("online");

        var edit = await PageKit.GetAsync(admin, "/admin/agents/loop1");
        var update = edit.QuerySelector("[data-testid=update-agent]")!.QuerySelectorAll("input[name]")
            .Where(e => e.GetAttribute("type") is not "checkbox" || e.HasAttribute("checked"))
            .ToDictionary(e => e.GetAttribute("name")!, e => e.GetAttribute("value") ?? "");
        update["Input.Slots"] = "3";
        update["Input.Maintenance"] = "true";
        PageKit.Message(await PageKit.SubmitAsync(admin, "/admin/agents/loop1", "update-agent", update)).Should().Contain("saved");
        var changed = await App.Client().GetFromJsonAsync<AgentResponse>("/api/v1/agents/loop1");
        (changed!.Slots, changed.Maintenance, changed.Enabled).Should().Be((3, true, true));

        var kept = await PageKit.SubmitAsync(admin, "/admin/agents/loop1", "delete-agent", new() { ["ConfirmName"] = "loop" });
        PageKit.Message(kept).Should().Contain("Nothing was removed");
        var removed = await PageKit.SubmitAsync(admin, "/admin/agents/loop1", "delete-agent", new() { ["ConfirmName"] = "loop1" });
        PageKit.Message(removed).Should().Contain("removed");
        (await App.Client().GetAsync("/api/v1/agents/loop1")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var audit = await PageKit.GetAsync(admin, "/admin/audit?objectType=agent");
        audit.QuerySelectorAll("[data-testid=audit] tbody tr").Select(r => r.GetAttribute("data-action")).Should().Equal("agent.delete", "agent.update", "agent.register");
        audit.DocumentElement.OuterHtml.Should().NotContain("PRIVATE KEY");
    }
}
