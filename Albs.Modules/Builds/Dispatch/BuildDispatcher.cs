using System.Collections.Concurrent;
using System.Text.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Albs.Modules.Platforms.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Builds.Dispatch;

/// <summary>
/// Starts ready tasks on free agents the moment they become ready: woken by submissions, by
/// finished tasks and by agents changing state. Once per lease period it also wakes by itself to
/// reap tasks of a server that died (cross-host wake-ups on PostgreSQL are still to come).
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
    DataDirectory data,
    ILogger<BuildDispatcher> logger) : BackgroundService
{
    private readonly string owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    private readonly ConcurrentDictionary<long, Task> running = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.ReapAsync(stoppingToken);
                await store.SettleAsync(stoppingToken);
                await DispatchAsync(stoppingToken);
                // Besides signals: once per lease period, so the reaper sees expired leases.
                await signal.WaitAsync(BuildTaskStore.Lease, stoppingToken);
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

        await Task.WhenAll(running.Values);
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
        foreach (var assignment in BuildTaskScheduler.Assign(ready, capacity, bySubmitter))
        {
            if (await store.ClaimAsync(assignment.TaskId, assignment.Agent, owner, ct))
            {
                var agent = usable.Single(a => a.Name == assignment.Agent);
                running[assignment.TaskId] = Task.Run(() => RunAsync(assignment.TaskId, agent, ct), CancellationToken.None);
            }
        }
    }

    private async Task RunAsync(long taskId, AgentInfo agent, CancellationToken stoppingToken)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        runningTasks.Add(taskId, work);
        var renewal = RenewAsync(taskId, work);
        try
        {
            await ExecuteTaskAsync(taskId, agent, work.Token);
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

    private async Task ExecuteTaskAsync(long taskId, AgentInfo agent, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var task = await db.Set<BuildTask>().AsNoTracking().SingleAsync(t => t.Id == taskId, ct);
        var build = await db.Set<Build>().AsNoTracking().SingleAsync(b => b.Id == task.BuildId, ct);
        var source = await db.Set<BuildSource>().AsNoTracking().SingleAsync(s => s.Id == task.SourceId, ct);
        var platform = await platforms.FindAsync(task.Platform, ct) ?? throw new InvalidOperationException($"platform {task.Platform} no longer exists");
        var mock = JsonSerializer.Deserialize<MockOptionsRequest>(build.MockOptions, JsonSerializerOptions.Web) ?? new MockOptionsRequest();
        var options = new RpmBuildOptions(mock.With ?? [], mock.Without ?? [], mock.Defines ?? new Dictionary<string, string>());
        var work = new TaskWork(build.Id, task.Id, task.Attempt, agent.Name, agent.WorkDirectory, platform, task.Arch, source.Kind, source.Url, source.CommitId, options);

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

        await log.InfoAsync(outcome.Succeeded ? "task completed" : $"task failed: {outcome.Error}");
        if (!await store.FinishAsync(task.Id, owner, outcome.Succeeded ? BuildStatus.Completed : BuildStatus.Failed, outcome.Error, outcome.Artifacts, ct))
        {
            logger.LogWarning("Task {Task} finished after losing its lease; its result was discarded.", task.Id);
            return;
        }

        if (outcome.Srpm is { } header)
        {
            await ExcludeArchesAsync(db, task, header, platform, ct);
        }
    }

    private async Task ExcludeArchesAsync(AlbsDbContext db, BuildTask srpmTask, RpmInfo header, PlatformDto platform, CancellationToken ct)
    {
        var archTasks = await db.Set<BuildTask>().AsNoTracking().Where(t => t.SrpmTaskId == srpmTask.Id).Select(t => new { t.Id, t.Arch }).ToListAsync(ct);
        foreach (var archTask in archTasks)
        {
            if (RpmHeader.Exclusion(header, archTask.Arch, platform.NoarchArch) is { } reason)
            {
                await store.ExcludeAsync(archTask.Id, reason, ct);
            }
        }
    }

    private async Task RenewAsync(long taskId, CancellationTokenSource work)
    {
        while (!work.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(BuildTaskStore.Lease / 3, work.Token);
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
