using System.Collections.Concurrent;
using System.Linq.Expressions;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Repositories;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Albs.Modules.Platforms.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Builds.Dispatch;

/// <summary>
/// Starts ready tasks on free agents the moment they become ready: woken by submissions, by
/// finished tasks and by agents changing state; and by itself when the earliest lease of a started
/// task runs out, to reap the tasks of a server that died and clean up after them on their agents.
/// Each started task runs in the background, renews its lease, and records its outcome.
/// </summary>
internal sealed partial class BuildDispatcher(
    IDbContextFactory<AlbsDbContext> contexts,
    BuildTaskStore store,
    BuildSignal signal,
    IAgentDirectory agents,
    IPlatformCatalog platforms,
    TaskExecutor executor,
    RunningTasks runningTasks,
    LogSignals logSignals,
    BuildRepositories repositories,
    IMockConfigBuilder mockConfig,
    ContentStore contentStore,
    IOptions<BuildDispatchOptions> dispatchOptions,
    DataDirectory data,
    ILogger<BuildDispatcher> logger) : BackgroundService
{
    private readonly string owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    private readonly ConcurrentDictionary<long, Task> running = new();
    private readonly List<Task> cleanups = [];

    // One dispatch round at a time on this host (the loop's, or a finished task's hand-off), so a
    // round assigns slots from a view no other round of this host is changing.
    private readonly SemaphoreSlim round = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Ready work first (a submission waits for nothing else), then the reaper and the
                // settling; what the reaper put back in the queue is dispatched in a second round.
                // Settling first is not needed for correctness: a task is ready only when its SRPM
                // task completed and the previous source's task on its arch is done.
                await DispatchRoundAsync(stoppingToken);
                var reaped = await store.ReapAsync(stoppingToken);
                foreach (var abandoned in reaped)
                {
                    logger.LogWarning("Task {Task} attempt {Attempt} was abandoned by a stopped server; it goes back to the queue.", abandoned.TaskId, abandoned.Attempt);
                    cleanups.Add(CleanUpAbandonedAsync(abandoned));
                }

                cleanups.RemoveAll(c => c.IsCompleted);
                await store.SettleAsync(stoppingToken);
                if (reaped.Count > 0)
                {
                    await DispatchRoundAsync(stoppingToken);
                }

                // Besides signals: when the earliest lease runs out, so a dead server's tasks are reaped on time.
                await signal.WaitAsync(await UntilNextExpiryAsync(stoppingToken), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Build dispatch failed; retrying.");
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        }

        await Task.WhenAll(running.Values.Concat(cleanups));
    }

    private async Task<TimeSpan> UntilNextExpiryAsync(CancellationToken ct)
    {
        var next = await store.NextLeaseExpiryAsync(ct);
        var wait = next is null ? store.Lease : next.Value - DateTime.UtcNow + TimeSpan.FromMilliseconds(50);
        return wait < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : wait > store.Lease ? store.Lease : wait;
    }

    private async Task CleanUpAbandonedAsync(AbandonedAttempt abandoned)
    {
        try
        {
            if (abandoned.Agent is not null && await agents.FindAsync(abandoned.Agent, CancellationToken.None) is { } agent)
            {
                await executor.AbandonAsync(agent, abandoned.TaskId, abandoned.Attempt);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not clean up after abandoned task {Task} attempt {Attempt}.", abandoned.TaskId, abandoned.Attempt);
        }
    }

    private async Task DispatchRoundAsync(CancellationToken ct)
    {
        await round.WaitAsync(ct);
        try
        {
            await DispatchAsync(ct);
        }
        finally
        {
            round.Release();
        }
    }

    private async Task DispatchAsync(CancellationToken ct)
    {
        // Free slots first: with every agent busy a round reads no queue at all, and the queue is read
        // for the arches that have a free slot only, so a backlog of one arch whose agents are busy
        // never hides another arch's tasks behind the read's limit.
        var usable = await agents.ListUsableAsync(ct);
        if (usable.Count == 0)
        {
            return;
        }

        var (byAgent, bySubmitter) = await store.RunningAsync(ct);
        var capacity = usable.Select(a => new AgentCapacity(a.Name, a.Arches, a.Slots, byAgent.GetValueOrDefault(a.Name), a.Load1 ?? 0)).ToList();
        var ready = await store.ReadyAsync(BuildTaskScheduler.PlaceableArches(capacity), capacity.Sum(a => Math.Max(0, a.Slots - a.Running)), ct);
        if (ready.Count == 0)
        {
            return;
        }

        var byName = usable.ToDictionary(a => a.Name, StringComparer.Ordinal);
        var assignments = BuildTaskScheduler.Assign(ready, capacity, bySubmitter)
            .Select(a => new TaskClaim(a.TaskId, a.Agent, byName[a.Agent].Slots))
            .ToList();

        // All of a round's claims in one transaction, then the tasks start: claiming does not wait
        // behind the work of tasks started a moment before.
        var claimed = (await store.ClaimAsync(assignments, owner, ct)).ToHashSet();

        // Each platform of the round is looked up once for all its tasks (a burst's tasks mostly share
        // one or two), and the started tasks with their builds and sources are read in one query, as
        // the round starts them.
        var starting = assignments.Where(a => claimed.Contains(a.TaskId)).ToList();
        if (starting.Count == 0)
        {
            return;
        }

        var startsOfRound = Observed(LoadStartsAsync([.. starting.Select(a => a.TaskId)], ct));
        var platformOf = ready.ToDictionary(t => t.Id, t => t.Platform);
        var lookups = new Dictionary<string, Task<PlatformDto?>>(StringComparer.Ordinal);
        foreach (var assignment in starting)
        {
            var agent = byName[assignment.Agent];
            var name = platformOf[assignment.TaskId];
            if (!lookups.TryGetValue(name, out var platform))
            {
                lookups[name] = platform = platforms.FindAsync(name, ct);
            }

            logger.LogInformation("Task {Task} started on agent {Agent} by {Owner}.", assignment.TaskId, agent.Name, owner);
            running[assignment.TaskId] = Task.Run(() => RunAsync(assignment.TaskId, agent, new RoundStart(platform, startsOfRound), ct), CancellationToken.None);
        }
    }

    /// <summary>
    /// <paramref name="task"/>, its failure observed (it surfaces where the task is awaited, or not at
    /// all when nothing awaits it, never as an unobserved exception).
    /// </summary>
    private static Task<T> Observed<T>(Task<T> task)
    {
        _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>The started tasks of a round, each with its build and source, in one query.</summary>
    private async Task<Dictionary<long, StartingTask>> LoadStartsAsync(List<long> ids, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await Starts(db, t => ids.Contains(t.Id)).ToDictionaryAsync(x => x.Task.Id, ct);
    }

    private static IQueryable<StartingTask> Starts(AlbsDbContext db, Expression<Func<BuildTask, bool>> which) =>
        from t in db.Set<BuildTask>().AsNoTracking().Where(which)
        join b in db.Set<Build>().AsNoTracking() on t.BuildId equals b.Id
        join s in db.Set<BuildSource>().AsNoTracking() on t.SourceId equals s.Id
        select new StartingTask(t, b, s);

    /// <summary>
    /// The task with its build and source: as its round read them; if that read failed (the database,
    /// a moment ago), read again for this task alone rather than failing every task of the round.
    /// </summary>
    private async Task<StartingTask> StartingAsync(AlbsDbContext db, long taskId, Task<Dictionary<long, StartingTask>> startsOfRound, CancellationToken ct)
    {
        try
        {
            if ((await startsOfRound).TryGetValue(taskId, out var start))
            {
                return start;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug(ex, "The round's read of its started tasks failed; task {Task} is read again.", taskId);
        }

        return await Starts(db, t => t.Id == taskId).SingleAsync(ct);
    }

    /// <summary>
    /// The task's platform: as its round looked it up; if that lookup failed (the database, a moment
    /// ago), looked up again for this task alone rather than failing every task of the round.
    /// </summary>
    private async Task<PlatformDto?> PlatformAsync(string name, Task<PlatformDto?> platformOfRound, CancellationToken ct)
    {
        try
        {
            return await platformOfRound;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug(ex, "The round's lookup of platform {Platform} failed; looking it up again.", name);
        }

        return await platforms.FindAsync(name, ct);
    }

    /// <summary>What a round read for a task it started: its platform, and the task with its build and source.</summary>
    private sealed record RoundStart(Task<PlatformDto?> Platform, Task<Dictionary<long, StartingTask>> Tasks);

    private sealed record StartingTask(BuildTask Task, Build Build, BuildSource Source);
}
