using System.Security.Claims;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Identity.Endpoints;

/// <summary>Teams and products: public lists; members for the team; changes by managers (and superusers).</summary>
internal static class TeamEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var teams = endpoints.MapGroup("/api/v1/teams").WithTags("Teams");
        teams.MapGet("/", async (ITeamAdministration admin, CancellationToken ct) => TypedResults.Ok(await admin.ListTeamsAsync(ct)))
            .AllowAnonymous().WithName("ListTeams");
        teams.MapGet("/{team}", async (string team, ITeamAdministration admin, CancellationToken ct) =>
                await admin.FindTeamAsync(team, ct) is { } found ? Results.Ok(found) : Results.NotFound())
            .AllowAnonymous().WithName("GetTeam");
        teams.MapGet("/{team}/members", async (string team, ClaimsPrincipal user, ITeamAdministration admin, CancellationToken ct) =>
                (await admin.ListMembersAsync(user, team, ct)).ToHttp())
            .RequirePermission(IdentityPermissions.ReadTeam).WithName("ListTeamMembers");
        teams.MapPost("/", async (CreateTeamRequest request, ClaimsPrincipal user, ITeamAdministration admin, CancellationToken ct) =>
                (await admin.CreateTeamAsync(user, request, ct)).ToHttp(t => $"/api/v1/teams/{t.Name}"))
            .RequirePermission(IdentityPermissions.CreateTeam).WithName("CreateTeam").WithSummary("Creates a team; its creator becomes its manager.");
        teams.MapPut("/{team}/members/{user}", async (string team, string user, SetMemberRolesRequest request, ClaimsPrincipal actor, ITeamAdministration admin, CancellationToken ct) =>
                (await admin.SetMemberRolesAsync(actor, team, user, request, ct)).ToHttp())
            .RequirePermission(IdentityPermissions.ManageTeam).WithName("SetTeamMemberRoles").WithSummary("Sets a member's roles, replacing what they had; [] removes them.");
        teams.MapDelete("/{team}/members/{user}", async (string team, string user, ClaimsPrincipal actor, ITeamAdministration admin, CancellationToken ct) =>
                await admin.SetMemberRolesAsync(actor, team, user, new SetMemberRolesRequest([]), ct) is { Succeeded: false } failed ? failed.ToHttp() : Results.NoContent())
            .RequirePermission(IdentityPermissions.ManageTeam).WithName("RemoveTeamMember");

        var products = endpoints.MapGroup("/api/v1/products").WithTags("Teams");
        products.MapGet("/", async (string? team, IProductDirectory directory, CancellationToken ct) => TypedResults.Ok(await directory.ListAsync(team, ct)))
            .AllowAnonymous().WithName("ListProducts");
        products.MapGet("/{product}", async (string product, IProductDirectory directory, CancellationToken ct) =>
                await directory.FindAsync(product, ct) is { } found ? Results.Ok(found) : Results.NotFound())
            .AllowAnonymous().WithName("GetProduct");
        products.MapPost("/", async (CreateProductRequest request, ClaimsPrincipal user, ITeamAdministration admin, CancellationToken ct) =>
                (await admin.CreateProductAsync(user, request, ct)).ToHttp(p => $"/api/v1/products/{p.Name}"))
            .RequirePermission(IdentityPermissions.ManageProducts).WithName("CreateProduct");
        products.MapPut("/{product}", async (string product, UpdateProductRequest request, ClaimsPrincipal user, ITeamAdministration admin, CancellationToken ct) =>
                (await admin.UpdateProductAsync(user, product, request, ct)).ToHttp())
            .RequirePermission(IdentityPermissions.ManageProducts).WithName("UpdateProduct");
    }
}
