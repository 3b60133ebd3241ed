using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Agents.Endpoints;

/// <summary>Agents: public read; registration, change and removal by superusers.</summary>
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

    private static async Task<Ok<IReadOnlyList<AgentResponse>>> ListAsync(AgentRegistry registry, CancellationToken ct) =>
        TypedResults.Ok(await registry.ListAsync(ct));

    private static async Task<Results<Ok<AgentResponse>, NotFound>> GetAsync(string name, AgentRegistry registry, CancellationToken ct) =>
        await registry.GetAsync(name, ct) is { } agent ? TypedResults.Ok(agent) : TypedResults.NotFound();

    private static Task<Results<Created<AgentResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterAgentRequest request, AgentRegistry registry, CancellationToken ct) =>
        registry.RegisterAsync(request, ct);

    private static Task<Results<Ok<AgentResponse>, ValidationProblem, NotFound>> UpdateAsync(
        string name, UpdateAgentRequest request, AgentRegistry registry, CancellationToken ct) =>
        registry.UpdateAsync(name, request, ct);

    private static async Task<Results<NoContent, NotFound>> DeleteAsync(string name, AgentRegistry registry, CancellationToken ct) =>
        await registry.DeleteAsync(name, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
}
