using System.Security.Claims;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Agents.Endpoints;

/// <summary>Agents: public read (how to reach them for superusers only); registration, change and removal by superusers (through <see cref="IAgentAdministration"/>, as the admin pages do).</summary>
internal static class AgentEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/agents").WithTags("Agents");
        group.MapGet("/", ListAsync).AllowAnonymous().WithName("ListAgents");
        group.MapGet("/{name}", GetAsync).AllowAnonymous().WithName("GetAgent");
        group.MapPost("/", RegisterAsync).RequirePermission(AgentPermissions.Manage).WithName("RegisterAgent")
            .WithSummary("Registers an agent; without hostKey, answers 409 with the scanned host keys to confirm.");
        group.MapPut("/{name}", UpdateAsync).RequirePermission(AgentPermissions.Manage).WithName("UpdateAgent");
        group.MapDelete("/{name}", DeleteAsync).RequirePermission(AgentPermissions.Manage).WithName("DeleteAgent");
    }

    private static async Task<Ok<IReadOnlyList<AgentResponse>>> ListAsync(ClaimsPrincipal user, IAgentAdministration agents, CancellationToken ct) =>
        TypedResults.Ok(await agents.ListAsync(user, ct));

    private static async Task<Results<Ok<AgentResponse>, NotFound>> GetAsync(string name, ClaimsPrincipal user, IAgentAdministration agents, CancellationToken ct) =>
        await agents.FindAsync(user, name, ct) is { } agent ? TypedResults.Ok(agent) : TypedResults.NotFound();

    private static async Task<Results<Created<AgentResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterAgentRequest request, ClaimsPrincipal user, IAgentAdministration agents, CancellationToken ct)
    {
        var result = await agents.RegisterAsync(user, request, ct);
        return result switch
        {
            { StatusCode: StatusCodes.Status201Created, Value.Agent: { } agent } => TypedResults.Created($"/api/v1/agents/{agent.Name}", agent),
            { StatusCode: StatusCodes.Status400BadRequest } => TypedResults.ValidationProblem(result.Errors!),
            { StatusCode: StatusCodes.Status409Conflict, Value.HostKeysToConfirm: { } scanned } => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Confirm the agent's host key",
                detail: result.Error,
                extensions: new Dictionary<string, object?> { ["scannedHostKeys"] = scanned.Lines, ["fingerprints"] = scanned.Fingerprints }),
            { StatusCode: StatusCodes.Status409Conflict } => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Agent exists", detail: result.Error),
            _ => TypedResults.Problem(detail: result.Error, statusCode: result.StatusCode),
        };
    }

    private static async Task<Results<Ok<AgentResponse>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateAsync(
        string name, UpdateAgentRequest request, ClaimsPrincipal user, IAgentAdministration agents, CancellationToken ct)
    {
        var result = await agents.UpdateAsync(user, name, request, ct);
        return result.StatusCode switch
        {
            StatusCodes.Status200OK => TypedResults.Ok(result.Value!),
            StatusCodes.Status400BadRequest => TypedResults.ValidationProblem(result.Errors!),
            StatusCodes.Status404NotFound => TypedResults.NotFound(),
            _ => TypedResults.Problem(detail: result.Error, statusCode: result.StatusCode),
        };
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteAsync(string name, ClaimsPrincipal user, IAgentAdministration agents, CancellationToken ct)
    {
        var result = await agents.DeleteAsync(user, name, ct);
        return result.StatusCode switch
        {
            StatusCodes.Status200OK => TypedResults.NoContent(),
            StatusCodes.Status404NotFound => TypedResults.NotFound(),
            _ => TypedResults.Problem(detail: result.Error, statusCode: result.StatusCode),
        };
    }
}
