using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Identity.Contracts;
using Albs.Tests.Support;
using AngleSharp.Html.Parser;

namespace Albs.Tests.Identity;

public sealed class AuthenticationTests : WebAppTest
{
    [Fact]
    public async Task Me_without_credentials_is_401_and_with_the_bootstrap_token_is_the_admin()
    {
        var anonymous = await App.Client().GetAsync("/api/v1/me");
        anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var me = await App.AdminClient().GetFromJsonAsync<CurrentUserResponse>("/api/v1/me");
        me!.UserName.Should().Be("admin");
        me.IsSuperuser.Should().BeTrue();
        me.AuthenticatedBy.Should().Be("token");
    }

    [Fact]
    public async Task A_wrong_token_is_401_with_a_bearer_challenge()
    {
        var client = App.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "albs_not_a_real_token_at_all_000000000000");
        var response = await client.GetAsync("/api/v1/me");
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Admin_signs_in_on_the_login_page_and_the_cookie_authenticates_the_api()
    {
        var client = App.Client();
        var response = await AlbsWebApp.SignInAsync(client, "admin", AlbsWebApp.AdminPassword);
        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().Should().EndWith("/");
        response.Headers.GetValues("Set-Cookie").Should().Contain(c => c.StartsWith("albs.auth=", StringComparison.Ordinal) && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));

        var me = await client.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me");
        me!.UserName.Should().Be("admin");
        me.AuthenticatedBy.Should().Be("cookie");

        var home = await new HtmlParser().ParseDocumentAsync(await client.GetStringAsync("/"));
        home.QuerySelector("[data-testid=signed-in-user]")!.TextContent.Should().Be("admin");
        home.QuerySelector("nav a[href=admin]").Should().NotBeNull("superusers see the Admin entry");
    }

    [Fact]
    public async Task Wrong_password_shows_an_error_and_repeated_failures_lock_the_account()
    {
        var client = App.Client();
        var first = await AlbsWebApp.SignInAsync(client, "admin", "wrong-password");
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        var page = await new HtmlParser().ParseDocumentAsync(await first.Content.ReadAsStringAsync());
        page.QuerySelector("[data-testid=login-error]")!.TextContent.Should().Contain("Wrong user name or password");

        for (var i = 0; i < 4; i++)
        {
            await AlbsWebApp.SignInAsync(client, "admin", "wrong-password");
        }

        var locked = await AlbsWebApp.SignInAsync(client, "admin", AlbsWebApp.AdminPassword);
        var lockedPage = await new HtmlParser().ParseDocumentAsync(await locked.Content.ReadAsStringAsync());
        lockedPage.QuerySelector("[data-testid=login-error]")!.TextContent.Should().Contain("locked");
        (await client.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Empty_login_form_shows_messages_beside_the_fields()
    {
        var client = App.Client();
        var response = await AlbsWebApp.SignInAsync(client, "", "");
        var page = await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync());
        page.QuerySelectorAll(".validation-message").Select(e => e.TextContent)
            .Should().BeEquivalentTo(["Enter your user name.", "Enter your password."]);
    }

    [Fact]
    public async Task Login_refuses_a_post_without_the_antiforgery_token()
    {
        var response = await App.Client().PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.UserName"] = "admin",
            ["Input.Password"] = AlbsWebApp.AdminPassword,
        }));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Login_never_redirects_to_another_site()
    {
        var client = App.Client();
        var form = await AlbsWebApp.FormAsync(client, "/account/login?ReturnUrl=//evil.example.org/x", "login");
        form["Input.UserName"] = "admin";
        form["Input.Password"] = AlbsWebApp.AdminPassword;
        var response = await client.PostAsync("/account/login?ReturnUrl=//evil.example.org/x", new FormUrlEncodedContent(form));
        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.Host.Should().NotBe("evil.example.org");
    }

    [Fact]
    public async Task Sign_out_needs_the_antiforgery_token_and_ends_the_session()
    {
        var client = App.Client();
        await AlbsWebApp.SignInAsync(client, "admin", AlbsWebApp.AdminPassword);

        (await client.PostAsync("/account/logout", new FormUrlEncodedContent([]))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await client.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.OK);

        var document = await new HtmlParser().ParseDocumentAsync(await client.GetStringAsync("/"));
        var token = document.QuerySelector("form[action='account/logout'] input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var logout = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        logout.StatusCode.Should().Be(HttpStatusCode.Redirect);
        (await client.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}

public sealed class SessionPersistenceTests
{
    [Fact]
    public async Task A_signed_in_session_survives_a_restart_because_keys_live_in_the_data_directory()
    {
        using var database = TestDatabase.Sqlite();
        string cookie;
        using (var first = new AlbsWebApp(database))
        {
            var response = await AlbsWebApp.SignInAsync(first.Client(), "admin", AlbsWebApp.AdminPassword);
            cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("albs.auth=", StringComparison.Ordinal)).Split(';')[0];
        }

        Directory.EnumerateFiles(Path.Combine(database.DataDirectory, "keys"), "key-*.xml").Should().NotBeEmpty();

        using var second = new AlbsWebApp(database);
        var client = second.Client();
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        (await client.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!.UserName.Should().Be("admin");
    }
}
