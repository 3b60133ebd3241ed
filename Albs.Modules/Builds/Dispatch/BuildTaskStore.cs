using System.Runtime.CompilerServices;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Builds.Dispatch;

/// <summary>
/// The task table as a queue: which tasks are ready, claiming one for an agent under a lease,
/// finishing it (with its artifacts, in one transaction), and settling what follows from that.
/// Every change is conditional on the task's current state, so concurrent dispatchers never
/// both start or finish the same task. Each write wakes the followers of the builds it changed
/// (<see cref="BuildChangeSignals"/>).
/// </summary>
internal sealed class BuildTaskStore(
    IDbContextFactory<AlbsDbContext> contexts, TimeProvider clock, IOptions<BuildDispatchOptions> options, BuildChangeSignals changes)
{
    public const int MaxAttempts = 3;

    public TimeSpan Lease { get; } = options.Value.TaskLease;

    private static readonly string[] Broken = [BuildStatus.Failed, BuildStatus.Cancelled];

    /// <summary>The most ready tasks a round reads (<see cref="ReadyAsync"/>).</summary>
    public const int ReadyLimit = 2000;

    /// <summary>
    /// Ready tasks (idle, their SRPM task completed, the previous source's task on their arch done)
    /// of the arches that could start now, as many of each submitter's tasks of each arch as there
    /// are free slots (<paramref name="perQueue"/>), first by priority, then oldest: that is all the
    /// scheduler could start of them this round, and no backlog, however long, hides another
    /// submitter's or another arch's tasks from it (at most <see cref="ReadyLimit"/>, each
    /// submitter's and arch's first ones before anyone's later ones).
    /// </summary>
    public async Task<List<ReadyTask>> ReadyAsync(IReadOnlySet<string> arches, int perQueue, CancellationToken ct)
    {
        if (arches.Count == 0 || perQueue < 1)
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var arguments = new List<object> { BuildStatus.Idle, BuildStatus.Completed, BuildStatus.Excluded, perQueue, ReadyLimit };
        var archList = SqlParameters.Add(arguments, arches.Order(StringComparer.Ordinal));
        var sql = $$"""
            SELECT * FROM builds_tasks WHERE id IN (
                SELECT q.id FROM (
                    SELECT c.id, ROW_NUMBER() OVER (PARTITION BY c.submitter, c.arch ORDER BY c.priority DESC, c.created_at, c.id) AS place
                      FROM builds_tasks c
                     WHERE c.status = {0} AND c.arch IN ({{archList}})
                       AND (c.srpm_task_id IS NULL OR EXISTS (SELECT 1 FROM builds_tasks s WHERE s.id = c.srpm_task_id AND s.status = {1}))
                       AND (c.after_task_id IS NULL OR EXISTS (SELECT 1 FROM builds_tasks a WHERE a.id = c.after_task_id AND a.status IN ({1}, {2})))
                ) q
                 WHERE q.place <= {3}
                 ORDER BY q.place, q.id
                 LIMIT {4})
            """;
        return await db.Set<BuildTask>().FromSql(FormattableStringFactory.Create(sql, [.. arguments])).AsNoTracking()
            .OrderBy(t => t.Id)
            .Select(t => new ReadyTask(t.Id, t.Arch, t.Submitter, t.Priority, t.CreatedAt, t.Platform))
            .ToListAsync(ct);
    }

    /// <summary>Started tasks per agent and per submitter, across all hosts.</summary>
    public async Task<(Dictionary<string, int> ByAgent, Dictionary<string, int> BySubmitter)> RunningAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var running = await db.Set<BuildTask>().AsNoTracking().Where(t => t.Status == BuildStatus.Started)
            .Select(t => new { t.AgentName, t.Submitter }).ToListAsync(ct);
        return (
            running.Where(r => r.AgentName != null).GroupBy(r => r.AgentName!).ToDictionary(g => g.Key, g => g.Count()),
            running.GroupBy(r => r.Submitter).ToDictionary(g => g.Key, g => g.Count()));
    }

    /// <summary>
    /// Starts tasks on agents, in one transaction: each only if it is still idle and its agent still
    /// has a free slot, counting the tasks every host has started there; where an agent has fewer free
    /// slots than tasks, the first in <paramref name="claims"/>' order go. On PostgreSQL the claims for
    /// an agent are serialised by an advisory lock, taken in name order so two hosts never deadlock
    /// (SQLite serialises all writers anyway); two hosts never fill the same slot. A round's claims
    /// take a few statements whatever their number (one count, one read, one update per agent, one for
    /// the builds), not two per task: the transaction holds the database's write lock, which on SQLite
    /// every submission waits for.
    /// </summary>
    /// <returns>The tasks this host now runs.</returns>
    public async Task<List<long>> ClaimAsync(IReadOnlyList<TaskClaim> claims, string owner, CancellationToken ct)
    {
        if (claims.Count == 0)
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var agentNames = claims.Select(c => c.Agent).Distinct(StringComparer.Ordinal).ToList();
            await LockSlotsAsync(db, agentNames, ct);
            var tasks = db.Set<BuildTask>();
            var busy = await tasks.AsNoTracking()
                .Where(t => t.Status == BuildStatus.Started && t.AgentName != null && agentNames.Contains(t.AgentName))
                .GroupBy(t => t.AgentName!)
                .Select(g => new { Agent = g.Key, Count = g.Count() })
                .ToDictionaryAsync(g => g.Agent, g => g.Count, StringComparer.Ordinal, ct);
            var ids = claims.Select(c => c.TaskId).ToList();
            var idle = (await tasks.AsNoTracking().Where(t => ids.Contains(t.Id) && t.Status == BuildStatus.Idle).Select(t => t.Id).ToListAsync(ct)).ToHashSet();
            var chosen = new List<TaskClaim>();
            foreach (var claim in claims)
            {
                if (idle.Contains(claim.TaskId) && busy.GetValueOrDefault(claim.Agent) < claim.Slots)
                {
                    chosen.Add(claim);
                    busy[claim.Agent] = busy.GetValueOrDefault(claim.Agent) + 1;
                }
            }

            var claimed = new List<long>();
            foreach (var group in chosen.GroupBy(c => c.Agent, StringComparer.Ordinal))
            {
                claimed.AddRange(await StartAsync(db, group.Key, [.. group.Select(c => c.TaskId)], owner, ct));
            }

            if (claimed.Count > 0)
            {
                await db.Set<Build>()
                    .Where(b => b.Status == BuildStatus.Idle && tasks.Any(t => t.BuildId == b.Id && claimed.Contains(t.Id)))
                    .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, BuildStatus.Running), ct);
            }

            await transaction.CommitAsync(ct);
            if (claimed.Count > 0)
            {
                changes.ChangedAll();
            }

            return claimed;
        });
    }

    /// <summary>
    /// Starts these tasks on one agent, in one statement, each only if it is still idle; returns
    /// those it started. On PostgreSQL a task another transaction of this host started meanwhile
    /// (a finished SRPM task's session going on with it) is not returned, so nothing runs twice.
    /// </summary>
    private async Task<List<long>> StartAsync(AlbsDbContext db, string agent, IReadOnlyList<long> taskIds, string owner, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var arguments = new List<object> { BuildStatus.Started, agent, owner, now + Lease, now, BuildStatus.Idle };
        var ids = SqlParameters.Add(arguments, taskIds);
        var sql = $$"""
            UPDATE builds_tasks SET status = {0}, agent_name = {1}, lease_owner = {2}, lease_expires_at = {3},
                   attempt = attempt + 1, started_at = {4}, finished_at = NULL, error = NULL
             WHERE status = {5} AND id IN ({{ids}})
            RETURNING id AS "Value"
            """;
        return await db.Database.SqlQuery<long>(FormattableStringFactory.Create(sql, [.. arguments])).ToListAsync(ct);
    }

    /// <summary>On PostgreSQL, serialises the claims for these agents' slots (in name order: no deadlock between hosts).</summary>
    private static async Task LockSlotsAsync(AlbsDbContext db, IEnumerable<string> agents, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql())
        {
            return;
        }

        foreach (var agent in agents.Distinct().Order(StringComparer.Ordinal))
        {
            var key = "albs-agent-slots:" + agent;
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({key}))", ct);
        }
    }

    /// <summary>
    /// Starts one task on an agent inside the caller's transaction (a finished SRPM task's hand-over),
    /// if it is still idle and ready (its SRPM task completed, the previous source's task on its arch
    /// done) and the agent has a free slot.
    /// </summary>
    private async Task<bool> ClaimReadyAsync(AlbsDbContext db, TaskClaim claim, string owner, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var expires = now + Lease;
        var rows = await db.Database.ExecuteSqlAsync(
            $"""
            UPDATE builds_tasks SET status = {BuildStatus.Started}, agent_name = {claim.Agent}, lease_owner = {owner},
                   lease_expires_at = {expires}, attempt = attempt + 1, started_at = {now}, finished_at = NULL, error = NULL
             WHERE id = {claim.TaskId} AND status = {BuildStatus.Idle}
               AND (SELECT COUNT(*) FROM builds_tasks busy WHERE busy.agent_name = {claim.Agent} AND busy.status = {BuildStatus.Started}) < {claim.Slots}
               AND (srpm_task_id IS NULL OR EXISTS (SELECT 1 FROM builds_tasks s WHERE s.id = builds_tasks.srpm_task_id AND s.status = {BuildStatus.Completed}))
               AND (after_task_id IS NULL OR EXISTS (SELECT 1 FROM builds_tasks a WHERE a.id = builds_tasks.after_task_id
                                                      AND a.status IN ({BuildStatus.Completed}, {BuildStatus.Excluded})))
            """,
            ct);
        if (rows != 1)
        {
            return false;
        }

        await db.Database.ExecuteSqlAsync(
            $"UPDATE builds_builds SET status = {BuildStatus.Running} WHERE id = (SELECT build_id FROM builds_tasks WHERE id = {claim.TaskId}) AND status = {BuildStatus.Idle}",
            ct);
        return true;
    }

    public async Task<bool> RenewAsync(long taskId, string owner, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var expires = clock.GetUtcNow().UtcDateTime + Lease;
        return await db.Database.ExecuteSqlAsync(
            $"UPDATE builds_tasks SET lease_expires_at = {expires} WHERE id = {taskId} AND lease_owner = {owner} AND status = {BuildStatus.Started}",
            ct) == 1;
    }

    /// <summary>Records the outcome with its artifacts, only if this host still owns the task.</summary>
    public async Task<bool> FinishAsync(
        long taskId, string owner, string status, string? error, IReadOnlyList<StoredArtifact> artifacts, CancellationToken ct,
        IReadOnlyList<(long TaskId, string Reason)>? exclusions = null) =>
        (await FinishAsync(taskId, owner, status, error, artifacts, exclusions, next: null, ct)).Finished;

    /// <summary>
    /// Records a completed SRPM task's outcome and, in the same transaction, starts <paramref name="next"/>
    /// (one of its arch tasks) on the same agent for this host if it is ready and not excluded: the
    /// SRPM task's session goes on with it (ADR 0016). The SRPM task's slot passes to it.
    /// </summary>
    public Task<(bool Finished, bool Continued)> FinishAndContinueAsync(
        long taskId, string owner, IReadOnlyList<StoredArtifact> artifacts, IReadOnlyList<(long TaskId, string Reason)> exclusions, TaskClaim next, CancellationToken ct) =>
        FinishAsync(taskId, owner, BuildStatus.Completed, null, artifacts, exclusions, next, ct);

    private async Task<(bool Finished, bool Continued)> FinishAsync(
        long taskId, string owner, string status, string? error, IReadOnlyList<StoredArtifact> artifacts,
        IReadOnlyList<(long TaskId, string Reason)>? exclusions, TaskClaim? next, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (next is not null)
            {
                await LockSlotsAsync(db, [next.Agent], ct);
            }

            var now = clock.GetUtcNow().UtcDateTime;
            var rows = await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE builds_tasks SET status = {status}, error = {error}, finished_at = {now}, lease_owner = NULL, lease_expires_at = NULL
                 WHERE id = {taskId} AND lease_owner = {owner} AND status = {BuildStatus.Started}
                """,
                ct);
            if (rows != 1)
            {
                return (false, false);
            }

            // A partial task never publishes artifacts: they are written only with success.
            if (status == BuildStatus.Completed)
            {
                db.AddRange(artifacts.Select(a => new BuildArtifact
                {
                    TaskId = taskId,
                    Name = a.Name,
                    Type = a.Type,
                    Size = a.Size,
                    Sha256 = a.Sha256,
                    Nevra = a.Nevra,
                    SourceRpm = a.SourceRpm,
                    CreatedAt = now,
                }.WithSplitNevra()));
                await db.SaveChangesAsync(ct);

                // What the SRPM's header excludes, in the same transaction: no arch task it rules out
                // can become ready in between, whatever happens to this host.
                foreach (var (excluded, reason) in exclusions ?? [])
                {
                    await db.Set<BuildTask>().Where(t => t.Id == excluded && t.Status == BuildStatus.Idle)
                        .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, BuildStatus.Excluded).SetProperty(t => t.Error, reason).SetProperty(t => t.FinishedAt, now), ct);
                }
            }

            var continued = next is not null && status == BuildStatus.Completed && await ClaimReadyAsync(db, next, owner, ct);
            await transaction.CommitAsync(ct);
            changes.ChangedAll();
            return (true, continued);
        });
    }

    /// <summary>Gives a task back (agent unreachable, host stopping): it runs again, elsewhere if need be.</summary>
    public async Task ReleaseAsync(long taskId, string owner, string reason, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (await db.Database.ExecuteSqlAsync(
            $"""
            UPDATE builds_tasks SET status = CASE WHEN attempt >= {MaxAttempts} THEN {BuildStatus.Failed} ELSE {BuildStatus.Idle} END,
                   error = {reason}, lease_owner = NULL, lease_expires_at = NULL, agent_name = NULL
             WHERE id = {taskId} AND lease_owner = {owner} AND status = {BuildStatus.Started}
            """,
            ct) > 0)
        {
            changes.ChangedAll();
        }
    }

    /// <summary>
    /// Tasks of a crashed host go back to the queue once their lease expires (or fail after
    /// <see cref="MaxAttempts"/>). Returns the attempts given up, so their leftovers on the agents can be removed.
    /// </summary>
    public async Task<List<AbandonedAttempt>> ReapAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var expired = await db.Set<BuildTask>().AsNoTracking()
            .Where(t => t.Status == BuildStatus.Started && t.LeaseExpiresAt < now)
            .Select(t => new { t.Id, t.BuildId, t.AgentName, t.Attempt, t.LeaseOwner })
            .ToListAsync(ct);
        var reaped = new List<AbandonedAttempt>();
        foreach (var task in expired)
        {
            // Conditional on the owner seen: a renewal or another host's reaper in between wins.
            var rows = await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE builds_tasks SET status = CASE WHEN attempt >= {MaxAttempts} THEN {BuildStatus.Failed} ELSE {BuildStatus.Idle} END,
                       error = 'the server running it stopped; retried', lease_owner = NULL, lease_expires_at = NULL, agent_name = NULL
                 WHERE id = {task.Id} AND status = {BuildStatus.Started} AND lease_owner = {task.LeaseOwner} AND lease_expires_at < {now}
                """,
                ct);
            if (rows == 1)
            {
                reaped.Add(new AbandonedAttempt(task.Id, task.BuildId, task.AgentName, task.Attempt));
                changes.Changed(task.BuildId);
            }
        }

        return reaped;
    }

    /// <summary>When the earliest lease of a started task expires, if any task is started.</summary>
    public async Task<DateTime?> NextLeaseExpiryAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Set<BuildTask>().AsNoTracking()
            .Where(t => t.Status == BuildStatus.Started && t.LeaseExpiresAt != null)
            .MinAsync(t => t.LeaseExpiresAt, ct);
    }

    /// <summary>
    /// Settles consequences: arch tasks whose SRPM failed fail too, chained tasks behind a failure
    /// fail, and builds whose tasks have all ended get their final status.
    /// </summary>
    public async Task SettleAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var tasks = db.Set<BuildTask>();
        var srpmBroken = tasks.Where(t => t.Status == BuildStatus.Idle && tasks.Any(s => s.Id == t.SrpmTaskId && Broken.Contains(s.Status)));
        var previousBroken = tasks.Where(t => t.Status == BuildStatus.Idle && tasks.Any(a => a.Id == t.AfterTaskId && Broken.Contains(a.Status)));

        var cascaded = false;

        // Read first, write only when there is something to change: a write waits for the database's
        // write lock (on SQLite, behind every submission), a read does not.
        while (await srpmBroken.AnyAsync(ct) || await previousBroken.AnyAsync(ct))
        {
            cascaded = true;
            await srpmBroken.ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, BuildStatus.Failed).SetProperty(t => t.FinishedAt, now)
                .SetProperty(t => t.Error, "the SRPM task of this source failed"), ct);
            await previousBroken.ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, BuildStatus.Failed).SetProperty(t => t.FinishedAt, now)
                .SetProperty(t => t.Error, "the previous source's task on this arch did not complete"), ct);
        }

        var open = new[] { BuildStatus.Idle, BuildStatus.Started };
        var finished = await db.Set<Build>()
            .Where(b => (b.Status == BuildStatus.Idle || b.Status == BuildStatus.Running) && !b.Tasks.Any(t => open.Contains(t.Status)))
            .Select(b => new
            {
                b.Id,
                Failed = b.Tasks.Any(t => t.Status == BuildStatus.Failed),
                Cancelled = b.Tasks.Any(t => t.Status == BuildStatus.Cancelled),
            })
            .ToListAsync(ct);
        foreach (var build in finished)
        {
            var status = build.Failed ? BuildStatus.Failed : build.Cancelled ? BuildStatus.Cancelled : BuildStatus.Completed;
            await db.Set<Build>().Where(b => b.Id == build.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, status).SetProperty(b => b.FinishedAt, now), ct);
            changes.Changed(build.Id);
        }

        if (cascaded)
        {
            changes.ChangedAll();
        }
    }
}

/// <summary>A task to start on an agent with this many slots.</summary>
internal sealed record TaskClaim(long TaskId, string Agent, int Slots);

/// <summary>An attempt whose server stopped: the agent may still hold its work directory and processes.</summary>
internal sealed record AbandonedAttempt(long TaskId, long BuildId, string? Agent, int Attempt);
