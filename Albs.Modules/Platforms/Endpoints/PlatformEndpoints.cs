using System.Security.Claims;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Platforms.Endpoints;

/// <summary>Platforms: anyone may read them; superusers create and replace them (through <see cref="IPlatformAdministration"/>, as the admin pages do).</summary>
internal static class PlatformEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/platforms").WithTags("Platforms");
        group.MapGet("/", ListAsync).AllowAnonymous().WithName("ListPlatforms").WithSummary("Every platform, active or not, ordered by name.");
        group.MapGet("/{name}", GetAsync).AllowAnonymous().WithName("GetPlatform").WithSummary("One platform (name ignoring case).");
        group.MapPost("/", CreateAsync).RequirePermission(PlatformPermissions.Manage).WithName("CreatePlatform");
        group.MapPut("/{name}", ReplaceAsync).RequirePermission(PlatformPermissions.Manage).WithName("ReplacePlatform")
            .WithSummary("Replaces the whole definition; omitted fields take their defaults; the name cannot change.");
    }

    private static async Task<Ok<IReadOnlyList<PlatformDto>>> ListAsync(PlatformStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(includeInactive: true, ct));

    private static async Task<Results<Ok<PlatformDto>, NotFound>> GetAsync(string name, PlatformStore store, CancellationToken ct) =>
        await store.FindAsync(name, ct) is { } platform ? TypedResults.Ok(platform) : TypedResults.NotFound();

    private static async Task<Results<Created<PlatformDto>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        PlatformRequest request, ClaimsPrincipal user, IPlatformAdministration platforms, CancellationToken ct)
    {
        var result = await platforms.CreateAsync(user, request, ct);
        return result.StatusCode switch
        {
            StatusCodes.Status201Created => TypedResults.Created($"/api/v1/platforms/{Uri.EscapeDataString(result.Value!.Name)}", result.Value),
            StatusCodes.Status400BadRequest => TypedResults.ValidationProblem(result.Errors!),
            StatusCodes.Status409Conflict => TypedResults.Problem(title: "Platform exists", detail: result.Error, statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.Problem(detail: result.Error, statusCode: result.StatusCode),
        };
    }

    private static async Task<Results<Ok<PlatformDto>, ValidationProblem, NotFound, ProblemHttpResult>> ReplaceAsync(
        string name, PlatformRequest request, ClaimsPrincipal user, IPlatformAdministration platforms, CancellationToken ct)
    {
        var result = await platforms.ReplaceAsync(user, name, request, ct);
        return result.StatusCode switch
        {
            StatusCodes.Status200OK => TypedResults.Ok(result.Value!),
            StatusCodes.Status400BadRequest => TypedResults.ValidationProblem(result.Errors!),
            StatusCodes.Status404NotFound => TypedResults.NotFound(),
            _ => TypedResults.Problem(detail: result.Error, statusCode: result.StatusCode),
        };
    }
}
