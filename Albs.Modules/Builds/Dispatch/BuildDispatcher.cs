using System.Collections.Concurrent;
using System.Text.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Builds.Repositories;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Albs.Modules.Platforms.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Builds.Dispatch;

/// <summary>
/// Starts ready tasks on free agents the moment they become ready: woken by submissions, by
/// finished tasks and by agents changing state; and by itself when the earliest lease of a started
/// task runs out, to reap the tasks of a server that died and clean up after them on their agents.
/// Each started task runs in the background, renews its lease, and records its outcome.
/// </summary>
internal sealed class BuildDispatcher(
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
        var ready = await store.ReadyAsync(ct);
        if (ready.Count == 0)
        {
            return;
        }

        var usable = await agents.ListUsableAsync(ct);
        var (byAgent, bySubmitter) = await store.RunningAsync(ct);
        var capacity = usable.Select(a => new AgentCapacity(a.Name, a.Arches, a.Slots, byAgent.GetValueOrDefault(a.Name), a.Load1 ?? 0)).ToList();
        var byName = usable.ToDictionary(a => a.Name, StringComparer.Ordinal);
        var assignments = BuildTaskScheduler.Assign(ready, capacity, bySubmitter)
            .Select(a => new TaskClaim(a.TaskId, a.Agent, byName[a.Agent].Slots))
            .ToList();

        // All of a round's claims in one transaction, then the tasks start: claiming does not wait
        // behind the work of tasks started a moment before.
        var claimed = (await store.ClaimAsync(assignments, owner, ct)).ToHashSet();
        foreach (var assignment in assignments.Where(a => claimed.Contains(a.TaskId)))
        {
            var agent = byName[assignment.Agent];
            logger.LogInformation("Task {Task} started on agent {Agent} by {Owner}.", assignment.TaskId, agent.Name, owner);
            running[assignment.TaskId] = Task.Run(() => RunAsync(assignment.TaskId, agent, ct), CancellationToken.None);
        }
    }

    private async Task RunAsync(long taskId, AgentInfo agent, CancellationToken stoppingToken)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        runningTasks.Add(taskId, work);
        var renewal = RenewAsync(taskId, work);
        try
        {
            await ExecuteTaskAsync(taskId, agent, work.Token, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await store.ReleaseAsync(taskId, owner, "the server stopped while the task ran; retried", CancellationToken.None);
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested)
        {
            // Cancelled by a user (or the lease was taken over): the task's state says which.
            logger.LogInformation("Task {Task} on {Agent} was stopped.", taskId, agent.Name);
        }
        catch (AgentUnreachableException ex)
        {
            logger.LogWarning("Agent {Agent} was lost during task {Task}: {Reason}", agent.Name, taskId, ex.Message);
            await store.ReleaseAsync(taskId, owner, $"agent {agent.Name} became unreachable; retried", CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Task {Task} failed on {Agent}.", taskId, agent.Name);
            await store.FinishAsync(taskId, owner, BuildStatus.Failed, ex.Message, [], CancellationToken.None);
        }
        finally
        {
            runningTasks.Remove(taskId);
            await work.CancelAsync();
            await renewal;
            running.TryRemove(taskId, out _);
            await store.SettleAsync(CancellationToken.None);
            signal.Notify();
        }
    }

    private async Task HandOffAsync(CancellationToken stoppingToken)
    {
        try
        {
            await DispatchRoundAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Dispatch after a finished task failed; the dispatcher's loop retries.");
            signal.Notify();
        }
    }

    private async Task ExecuteTaskAsync(long taskId, AgentInfo agent, CancellationToken ct, CancellationToken stoppingToken)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        // The task with its build and source in one query: every round trip here delays the start.
        var loaded = await (
                from t in db.Set<BuildTask>().AsNoTracking()
                join b in db.Set<Build>().AsNoTracking() on t.BuildId equals b.Id
                join s in db.Set<BuildSource>().AsNoTracking() on t.SourceId equals s.Id
                where t.Id == taskId
                select new { Task = t, Build = b, Source = s })
            .SingleAsync(ct);
        var (task, build, source) = (loaded.Task, loaded.Build, loaded.Source);
        var platform = await platforms.FindAsync(task.Platform, ct) ?? throw new InvalidOperationException($"platform {task.Platform} no longer exists");
        var mock = JsonSerializer.Deserialize<MockOptionsRequest>(build.MockOptions, JsonSerializerOptions.Web) ?? new MockOptionsRequest();
        var options = new RpmBuildOptions(mock.With ?? [], mock.Without ?? [], mock.Defines ?? new Dictionary<string, string>());
        var work = new TaskWork(build.Id, task.Id, task.Attempt, agent.Name, agent.WorkDirectory, platform, task.Arch, source.Kind, source.Url, source.CommitId, options);
        var recorded = false;
        try
        {
            await using var log = new TaskLog(LogFiles.PathOf(data, build.Id, task.Id, task.Attempt), logSignals);
            await log.InfoAsync($"task {task.Id} ({task.Platform} {task.Arch}) attempt {task.Attempt} on agent {agent.Name}");
            TaskOutcome outcome;
            try
            {
                if (task.SrpmTaskId is null)
                {
                    outcome = await executor.BuildSrpmAsync(work, log, ct);
                }
                else
                {
                    var srpm = await db.Set<BuildArtifact>().AsNoTracking().SingleAsync(a => a.TaskId == task.SrpmTaskId && a.Type == "srpm", ct);
                    outcome = await executor.RebuildAsync(work, new StoredArtifact(srpm.Name, srpm.Type, srpm.Size, srpm.Sha256, srpm.Nevra, null), log, ct);
                }
            }
            catch (AgentUnreachableException ex)
            {
                await log.InfoAsync($"agent {agent.Name} became unreachable ({ex.Message}); the task goes back to the queue");
                throw;
            }

            if (outcome.Succeeded)
            {
                outcome = outcome with { Artifacts = [.. outcome.Artifacts, await StoreConfigAsync(work, log, ct)] };
            }

            await log.InfoAsync(outcome.Succeeded ? "task completed" : $"task failed: {outcome.Error}");
            var exclusions = outcome is { Succeeded: true, Srpm: { } header } ? await ExclusionsAsync(db, task, header, platform, ct) : [];
            if (!await store.FinishAsync(task.Id, owner, outcome.Succeeded ? BuildStatus.Completed : BuildStatus.Failed, outcome.Error, outcome.Artifacts, ct, exclusions))
            {
                logger.LogWarning("Task {Task} finished after losing its lease; its result was discarded.", task.Id);
                return;
            }

            // From here the lease is gone (the task is no longer started), so its renewal may cancel
            // the token at any moment: nothing after this point may depend on it.
            recorded = true;

            // What follows from the outcome (ready tasks, the build's status) before the clean-up, and
            // the tasks it made ready start at once from here (the SRPM's arch tasks, the next source),
            // without waiting for the loop's round of reaping and settling.
            await store.SettleAsync(CancellationToken.None);
            await HandOffAsync(stoppingToken);
        }
        finally
        {
            // After the outcome is recorded (or the attempt failed): the agent's work directory goes,
            // off the path to the result. A cancelled attempt was cleaned up by the executor already.
            if (recorded || !ct.IsCancellationRequested)
            {
                await executor.RemoveRemoteAsync(work);
            }
        }
    }

    /// <summary>
    /// Stores the mock configuration generated for the task (platform repositories, the build's
    /// options, its linked builds' repositories) with the task's artifacts: what a mock agent builds
    /// with, and a record of the environment requested. Agents without mock use the same options as
    /// rpmbuild defines.
    /// </summary>
    private async Task<StoredArtifact> StoreConfigAsync(TaskWork work, TaskLog log, CancellationToken ct)
    {
        var linked = await repositories.LinkedRepositoriesAsync(work.BuildId, work.Platform.Name, work.Arch, ct);
        if (linked.Count > 0)
        {
            await log.InfoAsync($"linked build repositories: {string.Join(", ", linked.Select(r => $"{r.Name} {r.Url}"))}");
        }

        var arch = work.Arch == BuildPlanner.SrcArch ? work.Platform.NoarchArch : work.Arch;
        var text = mockConfig.BuildMockConfig(work.Platform, arch, work.Options, linked);
        var directory = data.Combine("work");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"mock-{work.TaskId}-{work.Attempt}-{Guid.NewGuid():N}.cfg");
        await File.WriteAllTextAsync(file, text, ct);
        var size = new FileInfo(file).Length;
        var sha = await ContentStore.HashAsync(file, ct);
        await contentStore.AddAsync(file, sha, ct);
        return new StoredArtifact("mock.cfg", "config", size, sha, null, null);
    }

    /// <summary>The arch tasks of an SRPM task that its header rules out, with the reason (ExclusiveArch, ExcludeArch, noarch).</summary>
    private static async Task<List<(long TaskId, string Reason)>> ExclusionsAsync(AlbsDbContext db, BuildTask srpmTask, RpmInfo header, PlatformDto platform, CancellationToken ct)
    {
        var archTasks = await db.Set<BuildTask>().AsNoTracking().Where(t => t.SrpmTaskId == srpmTask.Id).Select(t => new { t.Id, t.Arch }).ToListAsync(ct);
        return [.. archTasks
            .Select(t => (t.Id, Reason: RpmHeader.Exclusion(header, t.Arch, platform.NoarchArch)))
            .Where(t => t.Reason is not null)
            .Select(t => (t.Id, t.Reason!))];
    }

    private async Task RenewAsync(long taskId, CancellationTokenSource work)
    {
        while (!work.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(store.Lease / 3, work.Token);
                if (!await store.RenewAsync(taskId, owner, work.Token))
                {
                    await work.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not renew the lease of task {Task}.", taskId);
            }
        }
    }
}
