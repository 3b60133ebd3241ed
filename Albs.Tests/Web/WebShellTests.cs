using System.Net;
using System.Text.Json;
using Albs.Tests.Support;
using AngleSharp.Html.Parser;

namespace Albs.Tests.Web;

public sealed class WebShellTests : WebAppTest
{
    [Fact]
    public async Task Health_reports_the_database_and_the_data_directory()
    {
        var response = await App.Client().GetAsync("/health");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("status").GetString().Should().Be("healthy");
        body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString().Should().Be("healthy");
        body.RootElement.GetProperty("checks").GetProperty("data-directory").GetProperty("description").GetString().Should().Be(Database.DataDirectory);
    }

    [Fact]
    public async Task Health_is_503_when_the_data_directory_is_not_writable()
    {
        _ = App.Client();
        var readOnly = new DirectoryInfo(Database.DataDirectory);
        // Root ignores permission bits, so make the directory unusable by replacing it with a file.
        var moved = Database.DataDirectory + ".moved";
        Directory.Move(Database.DataDirectory, moved);
        await File.WriteAllTextAsync(Database.DataDirectory, "not a directory");
        try
        {
            var response = await App.Client().GetAsync("/health");
            response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            (await response.Content.ReadAsStringAsync()).Should().Contain("is not writable");
        }
        finally
        {
            File.Delete(Database.DataDirectory);
            Directory.Move(moved, readOnly.FullName);
        }
    }

    [Fact]
    public async Task OpenApi_document_describes_the_api()
    {
        using var document = JsonDocument.Parse(await App.Client().GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        paths.TryGetProperty("/api/v1/me", out _).Should().BeTrue();
        paths.TryGetProperty("/api/v1/tokens", out _).Should().BeTrue();
    }

    [Fact]
    public async Task Unknown_api_route_is_a_problem_details_404()
    {
        var response = await App.Client().GetAsync("/api/v1/nothing-here");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"status\":404");
    }

    [Fact]
    public async Task Unknown_page_is_a_404_page_in_the_layout()
    {
        var response = await App.Client().GetAsync("/no/such/page");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var page = await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync());
        page.QuerySelector("h1")!.TextContent.Should().Be("Not found");
        page.QuerySelector("nav[aria-label=Main]").Should().NotBeNull();
    }

    [Fact]
    public async Task Anonymous_visitor_sees_the_navigation_and_a_sign_in_link()
    {
        var response = await App.Client().GetAsync("/");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
        response.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("script-src 'self'").And.Contain("frame-ancestors 'none'");
        response.Headers.Contains("Strict-Transport-Security").Should().BeFalse("plain http gets no HSTS");
        var page = await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync());
        page.QuerySelectorAll("nav .nav-link").Select(a => a.TextContent).Should().Equal("Builds", "Releases", "Errata");
        page.QuerySelector("a[href='account/login']")!.TextContent.Should().Be("Sign in");
        page.DocumentElement.GetAttribute("lang").Should().Be("en");
    }

    [Fact]
    public async Task Over_https_the_sign_in_cookie_is_secure_httponly_and_samesite_and_hsts_is_sent()
    {
        var client = App.Client();
        client.BaseAddress = new Uri("https://localhost/");
        var response = await AlbsWebApp.SignInAsync(client, "admin", AlbsWebApp.AdminPassword);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("albs.auth=", StringComparison.Ordinal)).ToLowerInvariant();
        cookie.Should().Contain("secure").And.Contain("httponly").And.Contain("samesite=lax");
        response.Headers.GetValues("Strict-Transport-Security").Should().Equal("max-age=31536000");
    }

    [Theory]
    [InlineData("/lib/bootstrap.min.css", "text/css")]
    [InlineData("/lib/htmx.min.js", "text/javascript")]
    [InlineData("/lib/signalr.min.js", "text/javascript")]
    [InlineData("/css/app.css", "text/css")]
    public async Task Front_end_assets_from_npm_are_served(string path, string type)
    {
        var response = await App.Client().GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be(type);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresWebHostTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_host_migrates_and_serves_on_postgres()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        using var app = new AlbsWebApp(database);
        (await app.Client().GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await app.AdminClient().GetStringAsync("/api/v1/me")).Should().Contain("\"userName\":\"admin\"");
        app.Logs.Should().Contain(l => l.Contains("migration(s) on Postgres", StringComparison.Ordinal));
    }
}
