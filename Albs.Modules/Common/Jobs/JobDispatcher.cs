using System.Collections.Concurrent;
using Albs.Modules.Common.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Common.Jobs;

/// <summary>
/// Runs the jobs of every registered queue on this host. Each queue has its own loop that reaps
/// expired leases, claims up to its free slots and then sleeps until woken: by a commit that
/// added jobs (this host), a PostgreSQL notification (any host), a finished job, or the exact
/// time the next delayed job or lease falls due.
/// </summary>
internal sealed class JobDispatcher(
    IServiceScopeFactory scopes,
    JobStore store,
    JobSignal signal,
    JobRegistry registry,
    JobHostIdentity host,
    IOptions<JobsOptions> options,
    TimeProvider clock,
    ILogger<JobDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DispatchEnabled)
        {
            logger.LogInformation("Job dispatch is disabled on this host ({Host}).", host.Id);
            return;
        }

        logger.LogInformation("Job dispatcher {Host} serving queues {Queues}.", host.Id, string.Join(", ", registry.Queues.Select(q => q.Name)));
        await Task.WhenAll(registry.Queues.Select(q => RunQueueAsync(q, stoppingToken)));
    }

    private async Task RunQueueAsync(JobQueueRegistration queue, CancellationToken stoppingToken)
    {
        var running = new ConcurrentDictionary<long, Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.ReapAsync(queue.Name, stoppingToken);
                var free = queue.Options.Concurrency - running.Count;
                var claimedAll = false;
                if (free > 0)
                {
                    var jobs = await store.ClaimAsync(queue.Name, host.Id, free, queue.Options.Lease, stoppingToken);
                    foreach (var job in jobs)
                    {
                        running[job.Id] = RunJobAsync(queue, job, running, stoppingToken);
                    }

                    claimedAll = jobs.Count == free;
                }

                if (claimedAll)
                {
                    continue;
                }

                await signal.WaitAsync(queue.Name, await SleepTimeAsync(queue.Name, stoppingToken), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The database may be briefly unreachable; keep the loop alive and try again soon.
                logger.LogError(ex, "Dispatch loop of queue {Queue} failed; retrying.", queue.Name);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, CancellationToken.None);
            }
        }

        await Task.WhenAll(running.Values);
    }

    private async Task<TimeSpan> SleepTimeAsync(string queue, CancellationToken ct)
    {
        var safety = options.Value.SafetyWake;
        var next = await store.NextDueAsync(queue, ct);
        if (next is null)
        {
            return safety;
        }

        var untilDue = next.Value - clock.GetUtcNow().UtcDateTime;
        // A lease expiry is compared with "<" by the reaper: wake just after it, not on it.
        untilDue += TimeSpan.FromMilliseconds(20);
        return untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue < safety ? untilDue : safety;
    }

    private async Task RunJobAsync(JobQueueRegistration queue, Job job, ConcurrentDictionary<long, Task> running, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = RenewLeaseAsync(queue, job, work);
        try
        {
            await ExecuteAsync(queue, job, work.Token, stoppingToken);
        }
        finally
        {
            await work.CancelAsync();
            await renewal;
            running.TryRemove(job.Id, out _);
            signal.Notify(queue.Name);
        }
    }

    private async Task ExecuteAsync(JobQueueRegistration queue, Job job, CancellationToken workToken, CancellationToken stoppingToken)
    {
        var context = new JobContext(job.Id, job.Queue, job.Kind, job.Payload, job.Attempt, job.MaxAttempts);
        var handlerType = registry.HandlerFor(job.Queue, job.Kind);
        if (handlerType is null)
        {
            logger.LogError("Job {JobId} of queue {Queue} has unknown kind {Kind}; marking it dead.", job.Id, job.Queue, job.Kind);
            await store.FailAsync(job.Id, host.Id, $"no handler registered for kind '{job.Kind}'", null, CancellationToken.None);
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = (IJobHandler)scope.ServiceProvider.GetRequiredService(handlerType);
            await handler.HandleAsync(context, workToken);
            var db = scope.ServiceProvider.GetRequiredService<AlbsDbContext>();
            if (!await store.CompleteAsync(db, job.Id, host.Id, stoppingToken))
            {
                logger.LogWarning("Job {JobId} finished after its lease was lost; its changes were discarded.", job.Id);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await store.ReleaseAsync(job.Id, host.Id, CancellationToken.None);
        }
        catch (OperationCanceledException) when (workToken.IsCancellationRequested)
        {
            logger.LogWarning("Job {JobId} was stopped: its lease was lost.", job.Id);
        }
        catch (Exception ex)
        {
            var delay = RetryDelay(queue.Options, job.Attempt);
            logger.LogWarning(ex, "Job {JobId} ({Kind}) attempt {Attempt}/{Max} failed.", job.Id, job.Kind, job.Attempt, job.MaxAttempts);
            await store.FailAsync(job.Id, host.Id, ex.ToString(), delay, CancellationToken.None);
        }
    }

    private async Task RenewLeaseAsync(JobQueueRegistration queue, Job job, CancellationTokenSource work)
    {
        var period = queue.Options.Lease / 3;
        while (!work.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, clock, work.Token);
                if (!await store.RenewAsync(job.Id, host.Id, queue.Options.Lease, work.Token))
                {
                    await work.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                // The job ended (or the host is stopping); nothing left to renew.
                return;
            }
            catch (Exception ex)
            {
                // A transient database error: try again at the next period, the lease has slack.
                logger.LogWarning(ex, "Could not renew the lease of job {JobId}.", job.Id);
            }
        }
    }

    /// <summary>Exponential back-off: base, 2×base, 4×base … capped.</summary>
    internal static TimeSpan RetryDelay(JobQueueOptions options, int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var delay = TimeSpan.FromMilliseconds(options.RetryBaseDelay.TotalMilliseconds * factor);
        return delay < options.RetryMaxDelay ? delay : options.RetryMaxDelay;
    }
}

/// <summary>The lease-owner name of this host's dispatchers.</summary>
internal sealed class JobHostIdentity(IOptions<JobsOptions> options)
{
    public string Id { get; } = options.Value.HostId
        ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
}
