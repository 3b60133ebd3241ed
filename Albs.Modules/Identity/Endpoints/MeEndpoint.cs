using System.Security.Claims;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Users;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Identity.Endpoints;

internal static class MeEndpoint
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/v1/me", GetAsync)
            .RequireAuthorization()
            .WithName("GetCurrentUser")
            .WithTags("Identity")
            .WithSummary("The signed-in caller (cookie or bearer token).");

    private static async Task<Results<Ok<CurrentUserResponse>, UnauthorizedHttpResult>> GetAsync(
        ClaimsPrincipal principal, UserManager<AlbsUser> users, ITeamAdministration teams, IProductDirectory products, CancellationToken ct)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null)
        {
            return TypedResults.Unauthorized();
        }

        var by = principal.FindFirstValue(AlbsClaimTypes.AuthenticatedBy) ?? "cookie";
        var limit = long.TryParse(principal.FindFirstValue(AlbsClaimTypes.TokenProductId), System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? (await products.FindByIdAsync(id, ct))?.Name
            : null;
        return TypedResults.Ok(new CurrentUserResponse(user.Id, user.UserName!, user.Email, user.IsSuperuser && limit is null, by, await teams.TeamsOfAsync(user.Id, ct), limit));
    }
}
