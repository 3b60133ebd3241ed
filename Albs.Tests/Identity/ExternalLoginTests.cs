using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.External;
using Albs.Modules.Identity.Users;
using Albs.Tests.Support;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Identity;

/// <summary>
/// External login through the framework's OAuth handler against a GitHub-style provider on real HTTP.
/// The app's client talks to the in-memory host; the provider is reached with a real HTTP client, as a
/// browser would follow the redirects.
/// </summary>
public sealed class ExternalLoginTests : IAsyncLifetime, IDisposable
{
    private readonly TestDatabase database = TestDatabase.Sqlite();
    private readonly HttpClient browser = new(new HttpClientHandler { AllowAutoRedirect = false });
    private OAuthTestServer provider = null!;
    private AlbsWebApp app = null!;

    public async Task InitializeAsync()
    {
        provider = await OAuthTestServer.StartAsync();
        app = new AlbsWebApp(database, provider.Settings());
    }

    public async Task DisposeAsync() => await provider.DisposeAsync();

    public void Dispose()
    {
        app.Dispose();
        browser.Dispose();
        database.Dispose();
    }

    [Fact]
    public async Task First_sign_in_creates_a_linked_user_without_a_password_and_signs_them_in()
    {
        provider.SignedInUser = new OAuthTestUser(1001, "octo", "octo@example.org", "Octo Cat");
        var client = app.Client();

        var end = await SignInWithGitHubAsync(client, returnUrl: "/builds?page=2");

        end.StatusCode.Should().Be(HttpStatusCode.Redirect, Because());
        end.Headers.Location!.OriginalString.Should().Be("/builds?page=2");
        var me = await client.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me");
        me!.UserName.Should().Be("octo");
        me.Email.Should().Be("octo@example.org");
        me.IsSuperuser.Should().BeFalse();
        me.AuthenticatedBy.Should().Be("cookie");

        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>();
        var user = await users.FindByLoginAsync("GitHub", "1001");
        user!.Id.Should().Be(me.Id);
        (await users.HasPasswordAsync(user)).Should().BeFalse();
        user.EmailConfirmed.Should().BeFalse("the provider's e-mail is contact information, not a verified address");

        var audit = await app.AdminClient().GetFromJsonAsync<AuditListResponse>("/api/v1/audit?objectType=user&objectId=octo");
        audit!.Items.Select(e => (e.Action, e.Actor)).Should().BeEquivalentTo([("user.external-login.link", "system"), ("user.create", "system")]);
        audit.Items.Single(e => e.Action == "user.external-login.link").Details.Should().Contain("\"providerKey\":\"1001\"").And.Contain("Octo Cat");
    }

    [Fact]
    public async Task Second_sign_in_signs_in_the_same_user()
    {
        provider.SignedInUser = new OAuthTestUser(1001, "octo");
        var first = app.Client();
        await SignInWithGitHubAsync(first);
        var firstMe = await first.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me");

        var second = app.Client();
        (await second.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        await SignInWithGitHubAsync(second);

        var secondMe = await second.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me");
        secondMe!.Id.Should().Be(firstMe!.Id);
        secondMe.UserName.Should().Be("octo");
        await using var scope = app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>().Users.Count(u => u.UserName!.StartsWith("octo")).Should().Be(1);
    }

    [Fact]
    public async Task A_signed_in_local_user_links_the_external_login_and_then_signs_in_with_it()
    {
        await CreateLocalUserAsync("alice", "alice@example.org");
        var client = app.Client();
        await AlbsWebApp.SignInAsync(client, "alice", LocalPassword);
        provider.SignedInUser = new OAuthTestUser(2002, "alice-gh");

        var end = await SignInWithGitHubAsync(client);

        end.Headers.Location!.OriginalString.Should().StartWith("/account/login?external=linked", Because());
        (await PageAsync(client, end.Headers.Location!.OriginalString)).QuerySelector("[data-testid=login-notice]")!.TextContent.Should().Contain("now linked");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>();
            var alice = await users.FindByNameAsync("alice");
            (await users.GetLoginsAsync(alice!)).Should().ContainSingle(l => l.LoginProvider == "GitHub" && l.ProviderKey == "2002");
            users.Users.Any(u => u.UserName == "alice-gh").Should().BeFalse("linking creates no user");
        }

        var admin = app.AdminClient();
        (await admin.GetFromJsonAsync<UserDto>("/api/v1/users/alice"))!.ExternalLogins.Should().Equal("GitHub");
        (await admin.GetFromJsonAsync<AuditListResponse>("/api/v1/audit?action=user.external-login.link&objectId=alice"))!.Items
            .Should().ContainSingle().Which.Actor.Should().Be("alice");

        var later = app.Client();
        await SignInWithGitHubAsync(later);
        (await later.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!.UserName.Should().Be("alice");
    }

    [Fact]
    public async Task An_external_login_linked_to_one_user_is_not_linked_to_another()
    {
        provider.SignedInUser = new OAuthTestUser(1001, "octo");
        await SignInWithGitHubAsync(app.Client());
        await CreateLocalUserAsync("bob", null);
        var bob = app.Client();
        await AlbsWebApp.SignInAsync(bob, "bob", LocalPassword);

        var end = await SignInWithGitHubAsync(bob);

        end.Headers.Location!.OriginalString.Should().StartWith("/account/login?external=linked-to-another-user", Because());
        (await bob.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!.UserName.Should().Be("bob");
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>();
        (await users.FindByLoginAsync("GitHub", "1001"))!.UserName.Should().Be("octo");
    }

    [Fact]
    public async Task A_provider_user_named_like_a_local_account_gets_a_new_account_not_the_existing_one()
    {
        await CreateLocalUserAsync("dave", "shared@example.org");
        provider.SignedInUser = new OAuthTestUser(3003, "admin", "shared@example.org");
        var client = app.Client();

        await SignInWithGitHubAsync(client);

        var me = await client.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me");
        me!.UserName.Should().Be("admin-2");
        me.IsSuperuser.Should().BeFalse();
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>();
        (await users.GetLoginsAsync((await users.FindByNameAsync("admin"))!)).Should().BeEmpty();
        (await users.GetLoginsAsync((await users.FindByNameAsync("dave"))!)).Should().BeEmpty("a matching e-mail links nothing");
        (await users.FindByLoginAsync("GitHub", "3003"))!.UserName.Should().Be("admin-2");
    }

    [Fact]
    public async Task Declining_at_the_provider_ends_on_the_login_page_with_a_message()
    {
        provider.SignedInUser = null;
        var client = app.Client();

        var end = await SignInWithGitHubAsync(client, returnUrl: "/builds");

        end.Headers.Location!.OriginalString.Should().Be("/account/login?external=denied&ReturnUrl=%2Fbuilds", Because());
        var page = await PageAsync(client, end.Headers.Location!.OriginalString);
        page.QuerySelector("[data-testid=login-error]")!.TextContent.Should().Contain("cancelled");
        (await client.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_tampered_state_is_refused_and_signs_nobody_in()
    {
        provider.SignedInUser = new OAuthTestUser(1001, "octo");
        var client = app.Client();
        var callback = await ToProviderAndBackAsync(client, "/");
        var state = QueryHelpers.ParseQuery(callback.Query)["state"].ToString();
        var tampered = callback.OriginalString.Replace(state, state[..^4] + (state.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"), StringComparison.Ordinal);

        var response = await client.GetAsync(tampered);

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.OriginalString.Should().StartWith("/account/login?external=failed");
        app.Logs.Should().Contain(l => l.Contains("External sign-in with GitHub failed: The oauth state was missing or invalid", StringComparison.Ordinal));
        (await PageAsync(client, response.Headers.Location!.OriginalString)).QuerySelector("[data-testid=login-error]")!.TextContent.Should().Contain("failed");
        (await client.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        await using var scope = app.Services.CreateAsyncScope();
        (await scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>().FindByLoginAsync("GitHub", "1001")).Should().BeNull();
    }

    [Fact]
    public async Task A_callback_from_another_browser_is_refused()
    {
        // The state is bound to the correlation cookie of the browser that started the sign-in.
        provider.SignedInUser = new OAuthTestUser(1001, "octo");
        var callback = await ToProviderAndBackAsync(app.Client(), "/");

        var victim = app.Client();
        var response = await victim.GetAsync(callback);

        response.Headers.Location!.OriginalString.Should().StartWith("/account/login?external=failed");
        app.Logs.Should().Contain(l => l.Contains("External sign-in with GitHub failed: Correlation failed", StringComparison.Ordinal));
        (await victim.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Signing_in_locally_while_the_provider_asks_changes_no_account()
    {
        await CreateLocalUserAsync("erin", null);
        provider.SignedInUser = new OAuthTestUser(4004, "erin-gh");
        var client = app.Client();
        var callback = await ToProviderAndBackAsync(client, "/");
        await AlbsWebApp.SignInAsync(client, "erin", LocalPassword);

        var end = await FollowAppAsync(client, await client.GetAsync(callback));

        end.Headers.Location!.OriginalString.Should().StartWith("/account/login?external=session-changed", Because());
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>();
        (await users.FindByLoginAsync("GitHub", "4004")).Should().BeNull();
    }

    [Fact]
    public async Task A_disabled_user_cannot_sign_in_with_the_provider()
    {
        provider.SignedInUser = new OAuthTestUser(1001, "octo");
        await SignInWithGitHubAsync(app.Client());
        var disable = await app.AdminClient().PutAsJsonAsync("/api/v1/users/octo", new UpdateUserRequest(IsDisabled: true));
        disable.StatusCode.Should().Be(HttpStatusCode.OK, await disable.Content.ReadAsStringAsync());

        var client = app.Client();
        var end = await SignInWithGitHubAsync(client);

        end.Headers.Location!.OriginalString.Should().StartWith("/account/login?external=locked-out", Because());
        (await PageAsync(client, end.Headers.Location!.OriginalString)).QuerySelector("[data-testid=login-error]")!.TextContent.Should().Contain("disabled");
        (await client.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_endpoint_refusing_the_client_ends_on_the_login_page()
    {
        var settings = provider.Settings();
        settings["Identity:External:GitHub:ClientSecret"] = "not-the-secret";
        using var misconfigured = new AlbsWebApp(database, settings);
        provider.SignedInUser = new OAuthTestUser(1001, "octo");
        var client = misconfigured.Client();

        var end = await SignInWithGitHubAsync(client);

        end.Headers.Location!.OriginalString.Should().StartWith("/account/login?external=failed", Because());
        provider.Log.Should().Contain(l => l.Contains("incorrect_client_credentials", StringComparison.Ordinal));
        misconfigured.Logs.Should().Contain(l => l.Contains("External sign-in with GitHub failed: OAuth token endpoint failure: incorrect_client_credentials", StringComparison.Ordinal));
        (await PageAsync(client, end.Headers.Location!.OriginalString)).QuerySelector("[data-testid=login-error]")!.TextContent.Should().Contain("failed");
        (await client.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Only_local_return_urls_are_followed()
    {
        provider.SignedInUser = new OAuthTestUser(1001, "octo");

        var end = await SignInWithGitHubAsync(app.Client(), returnUrl: "//evil.example.org/x");

        end.Headers.Location!.OriginalString.Should().Be("/", Because());
    }

    [Fact]
    public async Task The_challenge_needs_the_antiforgery_token()
    {
        var client = app.Client();

        var response = await client.PostAsync("/account/external/GitHub?returnUrl=%2F", new FormUrlEncodedContent([]));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Headers.Location.Should().BeNull();
        provider.Log.Should().BeEmpty();
    }

    [Fact]
    public async Task The_login_page_shows_a_button_per_configured_provider()
    {
        var settings = provider.Settings();
        foreach (var (key, value) in provider.Settings("Forge"))
        {
            settings[key] = value;
        }

        settings["Identity:External:Forge:DisplayName"] = "Example Forge";
        settings["Identity:External:Forge:CallbackPath"] = "/signin-forge";
        using var two = new AlbsWebApp(database, settings);

        var page = await PageAsync(two.Client(), "/account/login");

        page.QuerySelectorAll("[data-testid=external-logins] form button").Select(b => b.TextContent.Trim())
            .Should().Equal("Sign in with Example Forge", "Sign in with GitHub");
        page.QuerySelectorAll("[data-testid=external-logins] form").Should().OnlyContain(f => f.QuerySelector("input[name=__RequestVerificationToken]") != null && f.GetAttribute("method") == "post");
    }

    [Fact]
    public async Task Without_a_client_id_no_provider_is_offered_or_reachable()
    {
        using var plain = new AlbsWebApp(database, new Dictionary<string, string?> { ["Identity:External:GitHub:DisplayName"] = "GitHub" });
        var client = plain.Client();

        var page = await PageAsync(client, "/account/login");
        page.QuerySelector("[data-testid=external-logins]").Should().BeNull();
        page.QuerySelectorAll("form").Should().NotContain(f => (f.GetAttribute("action") ?? "").Contains("external", StringComparison.Ordinal));

        var form = await AlbsWebApp.FormAsync(client, "/account/login", "login");
        var response = await client.PostAsync("/account/external/GitHub", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = form["__RequestVerificationToken"] }));
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public void A_provider_named_GitHub_needs_only_client_id_and_secret()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Identity:External:GitHub:ClientId"] = "id",
            ["Identity:External:GitHub:ClientSecret"] = "secret",
        }).Build();

        var (scheme, options) = ExternalLoginRegistration.Read(configuration).Single();

        scheme.Should().Be("GitHub");
        options.DisplayName.Should().Be("GitHub");
        options.AuthorizationEndpoint.Should().Be("https://github.com/login/oauth/authorize");
        options.TokenEndpoint.Should().Be("https://github.com/login/oauth/access_token");
        options.UserInformationEndpoint.Should().Be("https://api.github.com/user");
        options.CallbackPath.Should().Be("/signin-github");
    }

    [Theory]
    [InlineData("GitHub", "AuthorizationEndpoint", "ftp://github.example.org/authorize", "Identity:External:GitHub:AuthorizationEndpoint must be an absolute http or https URL")]
    [InlineData("GitHub", "TokenEndpoint", "/login/oauth/access_token", "Identity:External:GitHub:TokenEndpoint must be an absolute http or https URL")]
    [InlineData("GitHub", "ClientSecret", "", "Identity:External:GitHub:ClientSecret is required")]
    [InlineData("Forge", "ClientSecret", "secret", "Identity:External:Forge:AuthorizationEndpoint is required")]
    public void A_host_with_a_faulty_provider_refuses_to_start_naming_the_key(string scheme, string key, string value, string message)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Identity:External:{scheme}:ClientId"] = "id",
            [$"Identity:External:{scheme}:ClientSecret"] = "secret",
            [$"Identity:External:{scheme}:{key}"] = value,
        };
        using var faulty = new AlbsWebApp(database, settings);

        var start = () => faulty.CreateClient();

        start.Should().Throw<InvalidOperationException>().WithMessage($"*{message}*");
    }

    private const string LocalPassword = "Local-Pass-12345";

    private string Because() => "the provider saw: " + string.Join(" | ", provider.Log);

    /// <summary>The whole sign-in, as a browser walks it; returns the app's last redirect (after its callback).</summary>
    private async Task<HttpResponseMessage> SignInWithGitHubAsync(HttpClient client, string returnUrl = "/")
    {
        var callback = await ToProviderAndBackAsync(client, returnUrl);
        return await FollowAppAsync(client, await client.GetAsync(callback));
    }

    /// <summary>Posts the login page's GitHub form, lets the provider answer, returns where it sends the browser back to.</summary>
    private async Task<Uri> ToProviderAndBackAsync(HttpClient client, string returnUrl)
    {
        var page = await PageAsync(client, "/account/login?ReturnUrl=" + Uri.EscapeDataString(returnUrl));
        var form = page.QuerySelectorAll("[data-testid=external-logins] form").Single(f => f.TextContent.Contains("Sign in with GitHub", StringComparison.Ordinal));
        var token = form.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;

        var challenge = await client.PostAsync(form.GetAttribute("action"), new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        challenge.StatusCode.Should().Be(HttpStatusCode.Redirect, await challenge.Content.ReadAsStringAsync());
        challenge.Headers.Location!.GetLeftPart(UriPartial.Authority).Should().Be(provider.Url);

        var answer = await browser.GetAsync(challenge.Headers.Location);
        answer.StatusCode.Should().Be(HttpStatusCode.Redirect, Because());
        return answer.Headers.Location!;
    }

    /// <summary>Follows the app's redirects until one leaves its external-login paths; returns that last redirect.</summary>
    private static async Task<HttpResponseMessage> FollowAppAsync(HttpClient client, HttpResponseMessage response)
    {
        while (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.OriginalString.StartsWith(ExternalLoginPaths.Callback, StringComparison.Ordinal))
        {
            response = await client.GetAsync(response.Headers.Location);
        }

        return response;
    }

    private static async Task<IDocument> PageAsync(HttpClient client, string path) =>
        await new HtmlParser().ParseDocumentAsync(await client.GetStringAsync(path));

    private async Task CreateLocalUserAsync(string name, string? email)
    {
        var created = await app.AdminClient().PostAsJsonAsync("/api/v1/users", new CreateUserRequest(name, LocalPassword, email));
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }
}
