using System.Net.Http.Json;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Support;

/// <summary>Users, teams, roles and products for RBAC tests, made through the real admin API as the bootstrap admin.</summary>
internal static class RbacKit
{
    public const string Password = "Member-Pass-4242";

    /// <summary>Creates a local user and returns a client authenticated with a fresh API token of theirs.</summary>
    public static async Task<HttpClient> UserAsync(AlbsWebApp app, string userName, string? product = null)
    {
        var created = await app.AdminClient().PostAsJsonAsync("/api/v1/users", new CreateUserRequest(userName, Password));
        if (created.StatusCode != System.Net.HttpStatusCode.Conflict)
        {
            created.EnsureSuccessStatusCode();
        }

        return await TokenClientAsync(app, userName, product);
    }

    /// <summary>A client with a new token of an existing user (limited to <paramref name="product"/> when given).</summary>
    public static async Task<HttpClient> TokenClientAsync(AlbsWebApp app, string userName, string? product = null)
    {
        var client = app.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(app, userName, product));
        return client;
    }

    /// <summary>Issues a token for a user directly (a user without a password session cannot call the token API).</summary>
    public static async Task<string> TokenAsync(AlbsWebApp app, string userName, string? product = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<Modules.Identity.Users.AlbsUser>>();
        var user = await users.FindByNameAsync(userName) ?? throw new InvalidOperationException($"no user {userName}");
        long? productId = product is null ? null : (await scope.ServiceProvider.GetRequiredService<IProductDirectory>().FindAsync(product))!.Id;
        var token = await scope.ServiceProvider.GetRequiredService<ApiTokenService>().CreateAsync(user.Id, "test", null, productId, default);
        return token.Token;
    }

    public static async Task TeamAsync(AlbsWebApp app, string team, params string[] products)
    {
        (await app.AdminClient().PostAsJsonAsync("/api/v1/teams", new CreateTeamRequest(team))).EnsureSuccessStatusCode();
        foreach (var product in products)
        {
            (await app.AdminClient().PostAsJsonAsync("/api/v1/products", new CreateProductRequest(product, team))).EnsureSuccessStatusCode();
        }
    }

    public static async Task RolesAsync(AlbsWebApp app, string team, string userName, params string[] roles)
    {
        var response = await app.AdminClient().PutAsJsonAsync($"/api/v1/teams/{team}/members/{userName}", new SetMemberRolesRequest(roles));
        response.EnsureSuccessStatusCode();
    }
}
