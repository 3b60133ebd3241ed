using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Identity.Contracts;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Mvc;

namespace Albs.Tests.Identity;

public sealed class ApiTokenTests : WebAppTest
{
    [Fact]
    public async Task A_token_is_shown_once_works_as_bearer_and_stops_working_when_revoked()
    {
        var admin = App.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/tokens", new CreateApiTokenRequest("ci on builder3", 30));
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var created = (await response.Content.ReadFromJsonAsync<CreatedApiTokenResponse>())!;
        created.Token.Should().StartWith("albs_").And.HaveLength(48);
        created.ExpiresAt.Should().BeCloseTo(DateTime.UtcNow.AddDays(30), TimeSpan.FromMinutes(5));

        var client = App.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", created.Token);
        (await client.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!.UserName.Should().Be("admin");

        var listed = await admin.GetStringAsync("/api/v1/tokens");
        listed.Should().Contain("ci on builder3").And.NotContain(created.Token, "the secret is shown only once");
        var tokens = await admin.GetFromJsonAsync<List<ApiTokenResponse>>("/api/v1/tokens");
        tokens!.Single(t => t.Id == created.Id).LastUsedAt.Should().NotBeNull();

        (await admin.DeleteAsync($"/api/v1/tokens/{created.Id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.GetAsync("/api/v1/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await admin.GetFromJsonAsync<List<ApiTokenResponse>>("/api/v1/tokens"))!.Single(t => t.Id == created.Id).RevokedAt.Should().NotBeNull();
    }

    [Fact]
    public async Task Only_the_token_hash_is_stored()
    {
        var created = await (await App.AdminClient().PostAsJsonAsync("/api/v1/tokens", new CreateApiTokenRequest("hash check", null)))
            .Content.ReadFromJsonAsync<CreatedApiTokenResponse>();
        var bytes = await File.ReadAllBytesAsync(Path.Combine(Database.DataDirectory, "albs.db"));
        var wal = Path.Combine(Database.DataDirectory, "albs.db-wal");
        var all = System.Text.Encoding.Latin1.GetString(bytes) + (File.Exists(wal) ? System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(wal)) : "");
        all.Should().NotContain(created!.Token).And.NotContain(AlbsWebApp.AdminToken);
    }

    [Theory]
    [InlineData("", 10, "name is required")]
    [InlineData("ok", 0, "expiresInDays must be between")]
    [InlineData("ok", 99999, "expiresInDays must be between")]
    public async Task Invalid_token_requests_get_problem_details(string name, int days, string message)
    {
        var response = await App.AdminClient().PostAsJsonAsync("/api/v1/tokens", new CreateApiTokenRequest(name, days));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>();
        problem!.Errors["token"].Should().ContainSingle().Which.Should().Contain(message);
    }

    [Fact]
    public async Task Revoking_an_unknown_or_foreign_token_is_404_and_anonymous_is_401()
    {
        (await App.AdminClient().DeleteAsync("/api/v1/tokens/999999")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await App.Client().PostAsJsonAsync("/api/v1/tokens", new CreateApiTokenRequest("x", null))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await App.Client().GetAsync("/api/v1/tokens")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
