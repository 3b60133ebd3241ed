using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Common.Events;
using Albs.Modules.Common.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Agents.Health;

/// <summary>
/// Reads agents' connection details and records what probes and commands learn about their health.
/// Every state change is written together with an <see cref="AgentStateChangedEvent"/> in one transaction.
/// </summary>
internal sealed class AgentStateStore(IServiceScopeFactory scopes, TimeProvider clock, ILogger<AgentStateStore> logger)
{
    public async Task<AgentConnection?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AlbsDbContext>();
        var agent = await db.Set<Agent>().AsNoTracking().SingleOrDefaultAsync(a => a.Name == name, cancellationToken);
        return agent is null ? null : AgentConnection.From(agent);
    }

    /// <summary>Enabled agents whose host key is not in question.</summary>
    public async Task<IReadOnlyList<AgentConnection>> ProbeTargetsAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AlbsDbContext>();
        var agents = await db.Set<Agent>().AsNoTracking()
            .Where(a => a.Enabled && a.State != AgentStates.HostKeyMismatch)
            .ToListAsync(cancellationToken);
        return [.. agents.Select(AgentConnection.From)];
    }

    /// <summary>
    /// Records an outcome for the connection <paramref name="probed"/> described. Ignored when the agent
    /// was deleted or its connection parameters changed meanwhile (the result is about the old ones), and a
    /// host-key mismatch is only ever cleared by re-pinning, never by a later result.
    /// </summary>
    public async Task RecordAsync(AgentConnection probed, string state, string? error, double? load, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AlbsDbContext>();
        var agent = await db.Set<Agent>().SingleOrDefaultAsync(a => a.Id == probed.Id, cancellationToken);
        if (agent is null || agent.ConnectionId != probed.ConnectionId
            || (agent.State == AgentStates.HostKeyMismatch && state != AgentStates.HostKeyMismatch))
        {
            return;
        }

        Apply(agent, state, error, scope.ServiceProvider.GetRequiredService<IEventPublisher>());
        if (state == AgentStates.Online)
        {
            agent.LastSeenAt = clock.GetUtcNow().UtcDateTime;
            agent.Load1 = load ?? agent.Load1;
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Marks an agent offline on a caller's report; false when there is no such agent.</summary>
    public async Task<bool> ReportFailureAsync(string name, string reason, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AlbsDbContext>();
        var agent = await db.Set<Agent>().SingleOrDefaultAsync(a => a.Name == name, cancellationToken);
        if (agent is null || agent.State == AgentStates.HostKeyMismatch)
        {
            return agent is not null;
        }

        Apply(agent, AgentStates.Offline, Truncate("reported: " + reason), scope.ServiceProvider.GetRequiredService<IEventPublisher>());
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Sets state and error on a tracked agent, publishing the change; the caller saves.</summary>
    public void Apply(Agent agent, string state, string? error, IEventPublisher events)
    {
        var previous = agent.State;
        agent.State = state;
        agent.LastError = state == AgentStates.Online ? null : Truncate(error);
        if (previous == state)
        {
            return;
        }

        events.Publish(new AgentStateChangedEvent(agent.Name, previous, state, agent.LastError));
        if (state == AgentStates.Online)
        {
            logger.LogInformation("Agent {Agent} is {State} (was {Previous})", agent.Name, state, previous);
        }
        else
        {
            logger.LogWarning("Agent {Agent} is {State} (was {Previous}): {Error}", agent.Name, state, previous, agent.LastError);
        }
    }

    private static string? Truncate(string? text) => text is { Length: > 2000 } ? text[..2000] : text;
}
