using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Common.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Agents.Health;

internal sealed class AgentDirectory(IDbContextFactory<AlbsDbContext> contexts, AgentStateStore store, AgentProbeSignal probe) : IAgentDirectory
{
    public async Task<IReadOnlyList<AgentInfo>> ListUsableAsync(CancellationToken cancellationToken = default) =>
        [.. (await ListAsync(cancellationToken)).Where(a => a.IsUsable)];

    public async Task<IReadOnlyList<AgentInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var agents = await db.Set<Agent>().AsNoTracking().OrderBy(a => a.Name).ToListAsync(cancellationToken);
        return [.. agents.Select(a => a.ToInfo())];
    }

    public async Task<AgentInfo?> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Set<Agent>().AsNoTracking().SingleOrDefaultAsync(a => a.Name == name, cancellationToken))?.ToInfo();
    }

    public async Task ReportFailureAsync(string name, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (await store.ReportFailureAsync(name, reason, cancellationToken))
        {
            probe.Request();
        }
    }
}
