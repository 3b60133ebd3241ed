using System.Collections.Concurrent;
using Albs.Modules.Common.Jobs;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Common.Jobs;

/// <summary>Records every run of every job, shared by all hosts of one test.</summary>
internal sealed class RunLog
{
    public ConcurrentDictionary<long, int> Runs { get; } = new();

    public ConcurrentDictionary<string, int> RunsByHost { get; } = new();

    /// <summary>How many times each job id should fail before succeeding.</summary>
    public ConcurrentDictionary<string, int> FailuresToInject { get; } = new();
}

/// <summary>A handler that records its run; payload "fail:N" fails the first N attempts.</summary>
internal sealed class RecordingHandler(RunLog log, JobHostName host) : IJobHandler
{
    public async Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        log.Runs.AddOrUpdate(job.JobId, 1, (_, n) => n + 1);
        log.RunsByHost.AddOrUpdate(host.Name, 1, (_, n) => n + 1);
        if (job.Payload.StartsWith("fail:", StringComparison.Ordinal) && job.Attempt <= int.Parse(job.Payload[5..], System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"injected failure on attempt {job.Attempt}");
        }

        if (job.Payload == "slow")
        {
            await Task.Delay(5, cancellationToken);
        }
    }
}

/// <summary>Stages a follow-up job, then fails on the first attempt: the staged job must not survive.</summary>
internal sealed class StagingHandler(IJobQueue queue) : IJobHandler
{
    public Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        queue.Enqueue(new JobRequest("test", "follow-up", $"from {job.JobId} attempt {job.Attempt}"));
        return job.Attempt == 1
            ? throw new InvalidOperationException("crash after staging")
            : Task.CompletedTask;
    }
}

internal sealed record JobHostName(string Name);

internal static class JobTestKit
{
    public static Task<ModuleHost> StartHostAsync(TestDatabase database, RunLog log, string name, bool dispatch = true, int concurrency = 4, TimeSpan? lease = null) =>
        ModuleHost.StartAsync(
            database,
            services =>
            {
                services.AddSingleton(log);
                services.AddSingleton(new JobHostName(name));
                services.AddJobQueue("test", q =>
                {
                    q.Concurrency = concurrency;
                    q.Lease = lease ?? TimeSpan.FromSeconds(30);
                    q.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
                });
                services.AddJobHandler<RecordingHandler>("test", "record");
                services.AddJobHandler<StagingHandler>("test", "stage");
                services.AddJobHandler<RecordingHandler>("test", "follow-up");
            },
            new Dictionary<string, string?>
            {
                ["Jobs:DispatchEnabled"] = dispatch ? "true" : "false",
                ["Jobs:HostId"] = name,
                // No timer rescues a missed wake-up in these tests: dispatch must be woken.
                ["Jobs:SafetyWake"] = "01:00:00",
            });

    public static async Task EnqueueAsync(ModuleHost host, IEnumerable<JobRequest> requests)
    {
        await host.InScopeAsync(async sp =>
        {
            var queue = sp.GetRequiredService<IJobQueue>();
            foreach (var request in requests)
            {
                queue.Enqueue(request);
            }

            await sp.GetRequiredService<Albs.Modules.Common.Persistence.AlbsDbContext>().SaveChangesAsync();
        });
    }

    public static Task<List<Job>> JobsAsync(ModuleHost host) =>
        host.WithDbAsync(db => db.Set<Job>().AsNoTracking().OrderBy(j => j.Id).ToListAsync());

    public static Task WaitForAllAsync(ModuleHost host, string status, int count) =>
        Eventually.TrueAsync(
            async () => (await JobsAsync(host)).Count(j => j.Status == status) == count,
            $"{count} jobs are {status}");
}
