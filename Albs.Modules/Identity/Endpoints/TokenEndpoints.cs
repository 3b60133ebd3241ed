using System.Globalization;
using System.Security.Claims;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Identity.Endpoints;

/// <summary>Personal API tokens: create (secret shown once, optionally limited to a product), list, revoke; all tokens for superusers.</summary>
internal static class TokenEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/tokens").WithTags("Identity");
        group.MapGet("/", async (ClaimsPrincipal user, IApiTokens tokens, CancellationToken ct) => TypedResults.Ok(await tokens.ListOwnAsync(user, ct)))
            .RequirePermission(IdentityPermissions.OwnTokens).WithName("ListApiTokens");
        group.MapGet("/all", async (ClaimsPrincipal user, IApiTokens tokens, CancellationToken ct) => (await tokens.ListAllAsync(user, ct)).ToHttp())
            .RequirePermission(IdentityPermissions.AdministerUsers).WithName("ListAllApiTokens").WithSummary("Every user's tokens (superusers).");
        group.MapPost("/", async (CreateApiTokenRequest request, ClaimsPrincipal user, IApiTokens tokens, CancellationToken ct) =>
                (await tokens.CreateAsync(user, request, ct)).ToHttp(t => $"/api/v1/tokens/{t.Id.ToString(CultureInfo.InvariantCulture)}"))
            .RequirePermission(IdentityPermissions.OwnTokens).WithName("CreateApiToken");
        group.MapDelete("/{id:long}", async (long id, ClaimsPrincipal user, IApiTokens tokens, CancellationToken ct) =>
                await tokens.RevokeAsync(user, id, ct) is { Succeeded: false } failed ? failed.ToHttp() : Results.NoContent())
            .RequirePermission(IdentityPermissions.OwnTokens).WithName("RevokeApiToken").WithSummary("Revokes one of your tokens (superusers: anyone's).");
    }
}
