using System.Security.Claims;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Identity.Endpoints;

/// <summary>Personal API tokens of the caller: create (secret shown once), list, revoke.</summary>
internal static class TokenEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/tokens").RequireAuthorization().WithTags("Identity");
        group.MapGet("/", ListAsync).WithName("ListApiTokens");
        group.MapPost("/", CreateAsync).WithName("CreateApiToken");
        group.MapDelete("/{id:long}", RevokeAsync).WithName("RevokeApiToken");
    }

    private static async Task<Ok<IReadOnlyList<ApiTokenResponse>>> ListAsync(ClaimsPrincipal principal, UserManager<Users.AlbsUser> users, ApiTokenService tokens, CancellationToken ct) =>
        TypedResults.Ok(await tokens.ListAsync(users.GetUserId(principal)!, ct));

    private static async Task<Results<Created<CreatedApiTokenResponse>, ValidationProblem>> CreateAsync(
        CreateApiTokenRequest request, ClaimsPrincipal principal, UserManager<Users.AlbsUser> users, ApiTokenService tokens, CancellationToken ct)
    {
        if (ApiTokenService.ValidateRequest(request) is { } error)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["token"] = [error] });
        }

        var created = await tokens.CreateAsync(users.GetUserId(principal)!, request.Name.Trim(), request.ExpiresInDays, ct);
        return TypedResults.Created($"/api/v1/tokens/{created.Id}", created);
    }

    private static async Task<Results<NoContent, NotFound>> RevokeAsync(long id, ClaimsPrincipal principal, UserManager<Users.AlbsUser> users, ApiTokenService tokens, CancellationToken ct) =>
        await tokens.RevokeAsync(users.GetUserId(principal)!, id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
}
