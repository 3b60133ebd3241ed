using System.Text.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Albs.Modules.Platforms.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Builds.Dispatch;

/// <summary>One attempt of a started task: run on its agent, its outcome recorded, and what follows (ADR 0016 for the hand-over).</summary>
internal sealed partial class BuildDispatcher
{
    // round: what the dispatch round that started the task read for it.
    private async Task RunAsync(long taskId, AgentInfo agent, RoundStart round, CancellationToken stoppingToken)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var current = new CurrentTask(taskId);
        runningTasks.Add(taskId, work);
        var renewal = RenewAsync(current, work);
        try
        {
            await ExecuteTaskAsync(current, agent, work, round, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await store.ReleaseAsync(current.Id, owner, "the server stopped while the task ran; retried", CancellationToken.None);
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested)
        {
            // Cancelled by a user (or the lease was taken over): the task's state says which.
            logger.LogInformation("Task {Task} on {Agent} was stopped.", current.Id, agent.Name);
        }
        catch (AgentUnreachableException ex)
        {
            logger.LogWarning("Agent {Agent} was lost during task {Task}: {Reason}", agent.Name, current.Id, ex.Message);
            await store.ReleaseAsync(current.Id, owner, $"agent {agent.Name} became unreachable; retried", CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Task {Task} failed on {Agent}.", current.Id, agent.Name);
            await store.FinishAsync(current.Id, owner, BuildStatus.Failed, ex.Message, [], CancellationToken.None);
        }
        finally
        {
            runningTasks.Remove(taskId);
            runningTasks.Remove(current.Id);
            await work.CancelAsync();
            await renewal;
            running.TryRemove(taskId, out _);
            await store.SettleAsync(CancellationToken.None);
            signal.Notify();
        }
    }

    /// <summary>What follows a recorded outcome: ready tasks and the build's status settle, and the tasks it made ready start from here.</summary>
    private async Task AfterRecordedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await store.SettleAsync(CancellationToken.None);
            await DispatchRoundAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Dispatch after a finished task failed; the dispatcher's loop retries.");
            signal.Notify();
        }
    }

    private async Task ExecuteTaskAsync(CurrentTask current, AgentInfo agent, CancellationTokenSource cancellation, RoundStart round, CancellationToken stoppingToken)
    {
        var ct = cancellation.Token;
        await using var db = await contexts.CreateDbContextAsync(ct);
        // The task with its build and source as the round read them: every round trip here delays the start.
        var (task, build, source) = await StartingAsync(db, current.Id, round.Tasks, ct);
        var platform = await PlatformAsync(task.Platform, round.Platform, ct) ?? throw new InvalidOperationException($"platform {task.Platform} no longer exists");
        var mock = JsonSerializer.Deserialize<MockOptionsRequest>(build.MockOptions, JsonSerializerOptions.Web) ?? new MockOptionsRequest();
        var options = new RpmBuildOptions(mock.With ?? [], mock.Without ?? [], mock.Defines ?? new Dictionary<string, string>());
        var linked = JsonSerializer.Deserialize<long[]>(build.LinkedBuilds) ?? [];
        var work = new TaskWork(build.Id, task.Id, task.Attempt, agent.Name, agent.WorkDirectory, platform, task.Arch, source.Kind, source.Url, source.CommitId, options, linked);
        var recorded = false;
        ArchStep? arch = null;
        var archRecorded = false;
        Task followUp = Task.CompletedTask;
        try
        {
            await using var log = new TaskLog(LogFiles.PathOf(data, build.Id, task.Id, task.Attempt), logSignals);
            await log.InfoAsync($"task {task.Id} ({task.Platform} {task.Arch}) attempt {task.Attempt} on agent {agent.Name}");
            var config = StartConfigText(work, log, ct);
            Task<string>? archConfig = null;
            TaskOutcome outcome;
            try
            {
                if (task.SrpmTaskId is null)
                {
                    SrpmHandOver? handOver = dispatchOptions.Value.ContinueInSession
                        ? async (srpm, token) =>
                        {
                            var handed = await HandOverAsync(db, current, cancellation, agent, task, work, log, config, srpm, platform, token);
                            if (handed.Recorded)
                            {
                                recorded = true;
                                // The SRPM's other consequences (its other arch tasks, the build's status)
                                // go on beside the session.
                                followUp = Task.Run(() => AfterRecordedAsync(stoppingToken), CancellationToken.None);
                            }

                            arch = handed.Next;
                            archConfig = handed.Next is { } next ? StartConfigText(next.Work, next.Log, ct) : null;
                            return handed.Next;
                        }
                    : null;
                    var session = await executor.BuildSrpmAsync(work, log, config, handOver, ct);
                    if (session.SrpmHandled)
                    {
                        if (session.Arch is { } step)
                        {
                            archRecorded = await RecordAsync(db, step.Work, step.Log, archConfig!, session.ArchOutcome!, null, platform, ct);
                            if (archRecorded)
                            {
                                await AfterRecordedAsync(stoppingToken);
                            }
                        }

                        return;
                    }

                    outcome = session.Srpm;
                }
                else
                {
                    var srpm = await db.Set<BuildArtifact>().AsNoTracking().SingleAsync(a => a.TaskId == task.SrpmTaskId && a.Type == "srpm", ct);
                    outcome = await executor.RebuildAsync(work, new StoredArtifact(srpm.Name, srpm.Type, srpm.Size, srpm.Sha256, srpm.Nevra, null), config, log, ct);
                }
            }
            catch (AgentUnreachableException ex)
            {
                await (arch?.Log ?? log).InfoAsync($"agent {agent.Name} became unreachable ({ex.Message}); the task goes back to the queue");
                throw;
            }

            if (!await RecordAsync(db, work, log, config, outcome, task.SrpmTaskId is null ? task.Id : null, platform, ct))
            {
                return;
            }

            // From here the lease is gone (the task is no longer started), so its renewal may cancel
            // the token at any moment: nothing after this point may depend on it.
            recorded = true;
            await AfterRecordedAsync(stoppingToken);
        }
        finally
        {
            await followUp;

            // After the outcome is recorded (or the attempt failed): the agent's work directory goes,
            // off the path to the result. A cancelled attempt was cleaned up by the executor already,
            // and an SRPM task's session that went on removed the SRPM task's directory itself.
            if (arch is null && (recorded || !ct.IsCancellationRequested))
            {
                await executor.RemoveRemoteAsync(work);
            }

            if (arch is not null)
            {
                if (archRecorded || !ct.IsCancellationRequested)
                {
                    await executor.RemoveRemoteAsync(arch.Work);
                }

                await arch.Log.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Records an attempt's outcome (with the task's generated configuration when it succeeded and,
    /// for an SRPM task, the arch tasks its header excludes); false when the lease was lost meanwhile.
    /// </summary>
    private async Task<bool> RecordAsync(
        AlbsDbContext db, TaskWork work, TaskLog log, Task<string> config, TaskOutcome outcome, long? srpmTaskId, PlatformDto platform, CancellationToken ct)
    {
        if (outcome.Succeeded)
        {
            outcome = outcome with { Artifacts = [.. outcome.Artifacts, await StoreConfigAsync(work, config, ct)] };
        }

        await log.InfoAsync(outcome.Succeeded ? "task completed" : $"task failed: {outcome.Error}");
        var exclusions = outcome is { Succeeded: true, Srpm: { } header } && srpmTaskId is { } id
            ? Exclusions(await ArchTasksAsync(db, id, ct), header, platform)
            : [];
        if (!await store.FinishAsync(work.TaskId, owner, outcome.Succeeded ? BuildStatus.Completed : BuildStatus.Failed, outcome.Error, outcome.Artifacts, ct, exclusions))
        {
            logger.LogWarning("Task {Task} finished after losing its lease; its result was discarded.", work.TaskId);
            return false;
        }

        return true;
    }

    /// <summary>
    /// The hand-over in an SRPM task's session (ADR 0016): records the SRPM task's outcome and, in the
    /// same transaction, claims one of its arch tasks that this agent builds, is ready and not excluded;
    /// the session then goes on with it on the SRPM task's slot. The renewal and a cancel follow it.
    /// </summary>
    private async Task<(bool Recorded, ArchStep? Next)> HandOverAsync(
        AlbsDbContext db, CurrentTask current, CancellationTokenSource cancellation, AgentInfo agent, BuildTask task, TaskWork work, TaskLog log,
        Task<string> config, TaskOutcome srpm, PlatformDto platform, CancellationToken ct)
    {
        var outcome = srpm with { Artifacts = [.. srpm.Artifacts, await StoreConfigAsync(work, config, ct)] };
        var archTasks = await ArchTasksAsync(db, task.Id, ct);
        var exclusions = Exclusions(archTasks, srpm.Srpm!, platform);
        var excluded = exclusions.Select(e => e.TaskId).ToHashSet();
        var candidate = archTasks.FirstOrDefault(t => t.Status == BuildStatus.Idle && !excluded.Contains(t.Id) && agent.Arches.Contains(t.Arch, StringComparer.Ordinal));
        var fresh = candidate is null ? null : await agents.FindAsync(agent.Name, ct);
        var next = candidate is not null && fresh is { IsUsable: true } ? new TaskClaim(candidate.Id, agent.Name, fresh.Slots) : null;
        await log.InfoAsync("task completed");

        // A cancel of the arch task reaches this session from the moment it may be claimed.
        if (next is not null)
        {
            runningTasks.Add(next.TaskId, cancellation);
        }

        bool finished, continued;
        await current.Switch.WaitAsync(CancellationToken.None);
        try
        {
            (finished, continued) = next is null
                ? (await store.FinishAsync(task.Id, owner, BuildStatus.Completed, null, outcome.Artifacts, ct, exclusions), false)
                : await store.FinishAndContinueAsync(task.Id, owner, outcome.Artifacts, exclusions, next, ct);
            if (continued)
            {
                current.Id = next!.TaskId;
            }
        }
        finally
        {
            current.Switch.Release();
        }

        if (next is not null && !continued)
        {
            runningTasks.Remove(next.TaskId);
        }

        if (!finished)
        {
            logger.LogWarning("Task {Task} finished after losing its lease; its result was discarded.", task.Id);
            return (false, null);
        }

        if (!continued)
        {
            return (true, null);
        }

        runningTasks.Remove(task.Id);
        logger.LogInformation("Task {Task} started on agent {Agent} by {Owner}, in the session of SRPM task {SrpmTask}.", next!.TaskId, agent.Name, owner, task.Id);
        var attempt = candidate!.Attempt + 1;
        var archWork = work with { TaskId = candidate.Id, Attempt = attempt, Arch = candidate.Arch };
        var archLog = new TaskLog(LogFiles.PathOf(data, work.BuildId, candidate.Id, attempt), logSignals);
        await archLog.InfoAsync($"task {candidate.Id} ({task.Platform} {candidate.Arch}) attempt {attempt} on agent {agent.Name}, in the session of SRPM task {task.Id}");
        await archLog.InfoAsync($"rebuilding {srpm.Artifacts.First(a => a.Type == "srpm").Name} for {candidate.Arch}");
        return (true, new ArchStep(archWork, archLog));
    }

    /// <summary>
    /// Stores the mock configuration generated for the task (platform repositories, the build's
    /// options, its linked builds' repositories) with the task's artifacts: what a mock agent builds
    /// with, and a record of the environment requested. Agents without mock use the same options as
    /// rpmbuild defines. Its text is prepared while the agent builds (<see cref="StartConfigText"/>)
    /// and stored only with a successful outcome.
    /// </summary>
    private async Task<string> ConfigTextAsync(TaskWork work, TaskLog log, CancellationToken ct)
    {
        var linked = await repositories.LinkedRepositoriesAsync(work.LinkedBuilds, work.Platform.Name, work.Arch, ct);
        if (linked.Count > 0)
        {
            await log.InfoAsync($"linked build repositories: {string.Join(", ", linked.Select(r => $"{r.Name} {r.Url}"))}");
        }

        var arch = work.Arch == BuildPlanner.SrcArch ? work.Platform.NoarchArch : work.Arch;
        return mockConfig.BuildMockConfig(work.Platform, arch, work.Options, linked);
    }

    /// <summary>Prepares the configuration's text beside the build (an exception surfaces when it is stored).</summary>
    private Task<string> StartConfigText(TaskWork work, TaskLog log, CancellationToken ct) => Observed(ConfigTextAsync(work, log, ct));

    private async Task<StoredArtifact> StoreConfigAsync(TaskWork work, Task<string> config, CancellationToken ct)
    {
        var text = await config;
        var directory = data.Combine("work");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"mock-{work.TaskId}-{work.Attempt}-{Guid.NewGuid():N}.cfg");
        await File.WriteAllTextAsync(file, text, ct);
        var size = new FileInfo(file).Length;
        var sha = await ContentStore.HashAsync(file, ct);
        await contentStore.AddAsync(file, sha, ct);
        return new StoredArtifact("mock.cfg", "config", size, sha, null, null);
    }

    private sealed record ArchTask(long Id, string Arch, string Status, int Attempt);

    private static Task<List<ArchTask>> ArchTasksAsync(AlbsDbContext db, long srpmTaskId, CancellationToken ct) =>
        db.Set<BuildTask>().AsNoTracking().Where(t => t.SrpmTaskId == srpmTaskId).OrderBy(t => t.Id)
            .Select(t => new ArchTask(t.Id, t.Arch, t.Status, t.Attempt)).ToListAsync(ct);

    /// <summary>The arch tasks of an SRPM task that its header rules out, with the reason (ExclusiveArch, ExcludeArch, noarch).</summary>
    private static List<(long TaskId, string Reason)> Exclusions(List<ArchTask> archTasks, RpmInfo header, PlatformDto platform) =>
        [.. archTasks
            .Select(t => (t.Id, Reason: RpmHeader.Exclusion(header, t.Arch, platform.NoarchArch)))
            .Where(t => t.Reason is not null)
            .Select(t => (t.Id, t.Reason!))];

    private async Task RenewAsync(CurrentTask current, CancellationTokenSource work)
    {
        while (!work.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(store.Lease / 3, work.Token);
                bool renewed;
                await current.Switch.WaitAsync(work.Token);
                try
                {
                    renewed = await store.RenewAsync(current.Id, owner, work.Token);
                }
                finally
                {
                    current.Switch.Release();
                }

                if (!renewed)
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
                logger.LogWarning(ex, "Could not renew the lease of task {Task}.", current.Id);
            }
        }
    }

    /// <summary>
    /// The task an attempt is running now: the SRPM task, then the arch task its session went on
    /// with. The switch and the lease renewal exclude each other, so the renewal never asks about a
    /// task that is no longer, or not yet, this attempt's.
    /// </summary>
    private sealed class CurrentTask(long id) : IDisposable
    {
        public long Id { get; set; } = id;

        public SemaphoreSlim Switch { get; } = new(1, 1);

        public void Dispose() => Switch.Dispose();
    }
}
