using Albs.Modules.Identity.Contracts;
using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Platforms.Endpoints;

/// <summary>Platforms: anyone may read them; superusers create and replace them.</summary>
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
        PlatformRequest request, PlatformStore store, CancellationToken ct)
    {
        var (spec, errors) = PlatformValidator.Validate(request);
        if (spec is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (outcome, platform) = await store.CreateAsync(spec, ct);
        if (outcome == StoreOutcome.Duplicate)
        {
            return TypedResults.Problem(
                title: "Platform exists",
                detail: $"A platform named '{spec.Name}' (ignoring case) already exists; use PUT /api/v1/platforms/{{name}} to change it.",
                statusCode: StatusCodes.Status409Conflict);
        }

        return TypedResults.Created($"/api/v1/platforms/{Uri.EscapeDataString(platform!.Name)}", platform);
    }

    private static async Task<Results<Ok<PlatformDto>, ValidationProblem, NotFound>> ReplaceAsync(
        string name, PlatformRequest request, PlatformStore store, CancellationToken ct)
    {
        var current = await store.FindAsync(name, ct);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        var (spec, errors) = PlatformValidator.Validate(request with { Name = request.Name ?? current.Name });
        if (request.Name is not null && !string.Equals(request.Name, current.Name, StringComparison.Ordinal))
        {
            errors["name"] = [$"cannot be changed: it is '{current.Name}' (builds refer to platforms by name)"];
            spec = null;
        }

        if (spec is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (outcome, platform) = await store.UpdateAsync(current.Name, spec, ct);
        return outcome == StoreOutcome.NotFound ? TypedResults.NotFound() : TypedResults.Ok(platform!);
    }
}
