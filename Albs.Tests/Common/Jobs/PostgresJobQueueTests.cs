using Albs.Modules.Common.Jobs;
using Albs.Tests.Support;

namespace Albs.Tests.Common.Jobs;

/// <summary>The work queue with several hosts on one real PostgreSQL database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobQueueTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Two_hosts_dispatch_1000_jobs_and_each_runs_exactly_once()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        var log = new RunLog();
        await using var first = await JobTestKit.StartHostAsync(database, log, "host-a", concurrency: 8);
        await using var second = await JobTestKit.StartHostAsync(database, log, "host-b", concurrency: 8);

        // Enqueued in several commits from both hosts, as requests would arrive.
        for (var batch = 0; batch < 10; batch++)
        {
            var via = batch % 2 == 0 ? first : second;
            await JobTestKit.EnqueueAsync(via, Enumerable.Range(0, 100).Select(_ => new JobRequest("test", "record", "slow")));
        }

        await JobTestKit.WaitForAllAsync(first, "succeeded", 1000);

        log.Runs.Should().HaveCount(1000);
        log.Runs.Values.Should().OnlyContain(n => n == 1, "no job may run twice");
        log.RunsByHost.Keys.Should().BeEquivalentTo(["host-a", "host-b"], "both hosts take part");
        log.RunsByHost.Values.Sum().Should().Be(1000);
        (await JobTestKit.JobsAsync(first)).Should().OnlyContain(j => j.Attempt == 1);
    }

    [Fact]
    public async Task A_job_committed_on_one_host_wakes_the_dispatcher_of_another()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        var log = new RunLog();
        await using var web = await JobTestKit.StartHostAsync(database, log, "web-only", dispatch: false);
        await using var worker = await JobTestKit.StartHostAsync(database, log, "worker");
        // Let the worker go idle (nothing to do): from here only a notification can wake it.
        await Task.Delay(300);

        await JobTestKit.EnqueueAsync(web, [new JobRequest("test", "record", "")]);
        await JobTestKit.WaitForAllAsync(worker, "succeeded", 1);

        log.RunsByHost.Keys.Should().Equal("worker");
    }

    [Fact]
    public async Task Job_of_a_crashed_host_is_reaped_on_postgres_too()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        var log = new RunLog();
        await using var survivor = await JobTestKit.StartHostAsync(database, log, "survivor", dispatch: false);
        await JobTestKit.EnqueueAsync(survivor, [new JobRequest("test", "record", "")]);
        var store = (JobStore)survivor.Services.GetService(typeof(JobStore))!;
        (await store.ClaimAsync("test", "crashed", 1, TimeSpan.FromSeconds(1), CancellationToken.None)).Should().ContainSingle();

        await using var worker = await JobTestKit.StartHostAsync(database, log, "worker");
        await JobTestKit.WaitForAllAsync(worker, "succeeded", 1);
        (await JobTestKit.JobsAsync(worker)).Single().Attempt.Should().Be(2);
        log.Runs.Values.Should().Equal(1);
    }
}
