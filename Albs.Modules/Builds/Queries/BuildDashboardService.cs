using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Queries;

/// <summary>
/// <see cref="IBuildDashboard"/> and <c>GET /api/v1/dashboard</c>. Every query is bounded and rides an
/// index: builds by (status, created_at), tasks by (status, arch) and build_id, builds of the wait
/// window by created_at; nothing reads the history whole.
/// </summary>
internal sealed class BuildDashboardService(AlbsDbContext db, IAgentDirectory agentDirectory, TimeProvider clock) : IBuildDashboard
{
    /// <summary>The window of the wait figures.</summary>
    public const int WindowHours = 24;

    // The most tasks measured for the wait figures: the newest of the window.
    private const int WaitSample = 5000;

    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/v1/dashboard", async Task<Ok<BuildDashboard>> (IBuildDashboard dashboard, CancellationToken ct) => TypedResults.Ok(await dashboard.GetAsync(ct)))
            .AllowAnonymous().WithName("GetDashboard").WithTags("Builds")
            .WithSummary("Running and queued builds, agents with slots in use, recent failures, queue wait times.");

    public async Task<BuildDashboard> GetAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var builds = db.Set<Build>().AsNoTracking();
        var runningTotal = await builds.CountAsync(b => b.Status == BuildStatus.Running, cancellationToken);
        var queuedTotal = await builds.CountAsync(b => b.Status == BuildStatus.Idle, cancellationToken);
        var running = await OpenBuildsAsync(BuildStatus.Running, cancellationToken);
        var queued = await OpenBuildsAsync(BuildStatus.Idle, cancellationToken);
        return new BuildDashboard(
            now,
            runningTotal,
            running,
            queuedTotal,
            queued,
            await AgentsAsync(cancellationToken),
            await RecentFailuresAsync(cancellationToken),
            await QueueWaitAsync(now, cancellationToken));
    }

    private async Task<IReadOnlyList<DashboardBuild>> OpenBuildsAsync(string status, CancellationToken ct)
    {
        var rows = await db.Set<Build>().AsNoTracking().Where(b => b.Status == status)
            .OrderBy(b => b.CreatedAt).ThenBy(b => b.Id).Take(IBuildDashboard.ListLimit)
            .Select(b => new { b.Id, b.Status, b.ProductName, b.CreatedByName, b.CreatedAt })
            .ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var packages = (await db.Set<BuildSource>().AsNoTracking().Where(s => ids.Contains(s.BuildId))
                .OrderBy(s => s.Position).Select(s => new { s.BuildId, s.Package }).ToListAsync(ct))
            .ToLookup(s => s.BuildId, s => s.Package);
        var tasks = (await db.Set<BuildTask>().AsNoTracking().Where(t => ids.Contains(t.BuildId))
                .Select(t => new { t.BuildId, t.Status, t.StartedAt }).ToListAsync(ct))
            .ToLookup(t => t.BuildId);
        return [.. rows.Select(r => new DashboardBuild(
            r.Id,
            r.Status,
            [.. packages[r.Id]],
            r.ProductName,
            r.CreatedByName,
            r.CreatedAt,
            tasks[r.Id].Min(t => t.StartedAt),
            tasks[r.Id].Count(t => t.Status == BuildStatus.Started),
            tasks[r.Id].Count(t => t.Status == BuildStatus.Idle)))];
    }

    private async Task<IReadOnlyList<DashboardAgent>> AgentsAsync(CancellationToken ct)
    {
        var agents = await agentDirectory.ListAsync(ct);
        var busy = await db.Set<BuildTask>().AsNoTracking().Where(t => t.Status == BuildStatus.Started && t.AgentName != null)
            .GroupBy(t => t.AgentName!).Select(g => new { Agent = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Agent, g => g.Count, StringComparer.Ordinal, ct);
        return [.. agents.Select(a => new DashboardAgent(
            a.Name,
            !a.Enabled ? "disabled" : a.Maintenance ? "maintenance" : a.State,
            a.Arches,
            busy.GetValueOrDefault(a.Name),
            a.Slots,
            a.Load1,
            a.LastSeenAt))];
    }

    private async Task<IReadOnlyList<DashboardFailure>> RecentFailuresAsync(CancellationToken ct)
    {
        var ids = await db.Set<Build>().AsNoTracking().Where(b => b.Status == BuildStatus.Failed)
            .OrderByDescending(b => b.CreatedAt).Take(IBuildDashboard.FailedBuildLimit).Select(b => b.Id).ToListAsync(ct);
        // All tasks of these few builds by the build id index, the failed ones picked here: with the
        // status in the query, SQLite reads every failed task of the history by the status index.
        var tasks = await (
                from t in db.Set<BuildTask>().AsNoTracking()
                where ids.Contains(t.BuildId)
                join s in db.Set<BuildSource>() on t.SourceId equals s.Id
                select new { t.Status, Failure = new DashboardFailure(t.BuildId, t.Id, s.Package, t.Platform, t.Arch, t.FinishedAt, t.Error) })
            .ToListAsync(ct);
        return [.. tasks.Where(t => t.Status == BuildStatus.Failed).Select(t => t.Failure)
            .OrderByDescending(f => f.FinishedAt).ThenByDescending(f => f.TaskId)];
    }

    private async Task<DashboardQueueWait> QueueWaitAsync(DateTime now, CancellationToken ct)
    {
        var since = now.AddHours(-WindowHours);
        var tasks = db.Set<BuildTask>().AsNoTracking();

        // The window's builds first (a range of the created_at index, newest first, bounded), then
        // their tasks by build id: joined the other way round, the database walks every task by id
        // and probes its build, which on a long history is nearly all of them.
        var recent = await db.Set<Build>().AsNoTracking().Where(b => b.CreatedAt >= since)
            .OrderByDescending(b => b.CreatedAt).Take(WaitSample).Select(b => b.Id).ToListAsync(ct);

        // First attempts only: a restarted task's creation time says nothing about its last wait.
        var measured = await (
                from t in tasks
                where recent.Contains(t.BuildId) && t.StartedAt != null && t.Attempt == 1
                orderby t.Id descending
                select new
                {
                    t.CreatedAt,
                    StartedAt = t.StartedAt!.Value,
                    Srpm = tasks.Where(s => s.Id == t.SrpmTaskId).Select(s => s.FinishedAt).FirstOrDefault(),
                    After = tasks.Where(s => s.Id == t.AfterTaskId).Select(s => s.FinishedAt).FirstOrDefault(),
                })
            .Take(WaitSample).ToListAsync(ct);
        var waits = measured.Select(m => QueueWaitStatistics.Wait(m.CreatedAt, m.Srpm, m.After, m.StartedAt)).ToList();

        var waiting = tasks.Where(t => t.Status == BuildStatus.Idle);
        var waitingNow = await waiting.CountAsync(ct);
        var oldest = await waiting.OrderBy(t => t.CreatedAt).Select(t => (DateTime?)t.CreatedAt).FirstOrDefaultAsync(ct);
        return QueueWaitStatistics.Summarize(WindowHours, waits, waitingNow, oldest);
    }
}

/// <summary>The arithmetic of the queue wait figures, apart from the queries.</summary>
internal static class QueueWaitStatistics
{
    /// <summary>Seconds from a task becoming ready (created and its SRPM and previous chained task finished) to its start; never negative.</summary>
    public static double Wait(DateTime createdAt, DateTime? srpmFinishedAt, DateTime? afterFinishedAt, DateTime startedAt)
    {
        var ready = createdAt;
        if (srpmFinishedAt > ready)
        {
            ready = srpmFinishedAt.Value;
        }

        if (afterFinishedAt > ready)
        {
            ready = afterFinishedAt.Value;
        }

        return Math.Max(0, (startedAt - ready).TotalSeconds);
    }

    /// <summary>
    /// The nearest-rank percentile (<paramref name="percent"/> of 0–100) of <paramref name="values"/>: the
    /// smallest value at least that share of the values do not exceed; null for no values.
    /// </summary>
    public static double? Percentile(IReadOnlyCollection<double> values, double percent)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(percent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Max(rank, 1) - 1];
    }

    public static DashboardQueueWait Summarize(int windowHours, IReadOnlyCollection<double> waits, int waitingNow, DateTime? oldestWaitingSince) =>
        new(windowHours, waits.Count, Percentile(waits, 50), Percentile(waits, 90), waits.Count == 0 ? null : waits.Max(), waitingNow, oldestWaitingSince);
}
