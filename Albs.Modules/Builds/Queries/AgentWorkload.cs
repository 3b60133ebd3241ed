using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Queries;

/// <summary><see cref="IAgentWorkload"/> from the dispatch queue: the started tasks and the agents holding them.</summary>
internal sealed class AgentWorkload(AlbsDbContext db) : IAgentWorkload
{
    // Started tasks are at most the agents' slots; the bound only guards against a broken queue.
    private const int Limit = 2000;

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<AgentTaskResponse>>> CurrentTasksAsync(CancellationToken cancellationToken = default)
    {
        var rows = await (
                from t in db.Set<BuildTask>().AsNoTracking()
                where t.Status == BuildStatus.Started && t.AgentName != null
                join s in db.Set<BuildSource>() on t.SourceId equals s.Id
                orderby t.StartedAt, t.Id
                select new { Agent = t.AgentName!, Task = new AgentTaskResponse(t.BuildId, t.Id, s.Package, t.Platform, t.Arch, t.StartedAt) })
            .Take(Limit).ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.Agent, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<AgentTaskResponse>)[.. g.Select(r => r.Task)], StringComparer.Ordinal);
    }
}
