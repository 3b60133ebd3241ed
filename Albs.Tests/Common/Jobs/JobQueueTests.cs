using Albs.Modules.Common.Jobs;
using Albs.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Common.Jobs;

/// <summary>The durable work queue on SQLite, one host, real database file.</summary>
public sealed class JobQueueTests
{
    [Fact]
    public async Task Enqueued_jobs_run_once_each_woken_by_the_commit_without_a_timer()
    {
        using var database = TestDatabase.Sqlite();
        var log = new RunLog();
        await using var host = await JobTestKit.StartHostAsync(database, log, "h1");

        await JobTestKit.EnqueueAsync(host, Enumerable.Range(0, 50).Select(i => new JobRequest("test", "record", "slow")));
        await JobTestKit.WaitForAllAsync(host, "succeeded", 50);

        log.Runs.Should().HaveCount(50).And.OnlyContain(r => r.Value == 1);
        (await JobTestKit.JobsAsync(host)).Should().OnlyContain(j => j.Attempt == 1 && j.LeaseOwner == null && j.FinishedAt != null);
    }

    [Fact]
    public async Task Failed_job_is_retried_with_back_off_and_then_succeeds()
    {
        using var database = TestDatabase.Sqlite();
        var log = new RunLog();
        await using var host = await JobTestKit.StartHostAsync(database, log, "h1");

        await JobTestKit.EnqueueAsync(host, [new JobRequest("test", "record", "fail:2")]);
        await JobTestKit.WaitForAllAsync(host, "succeeded", 1);

        var job = (await JobTestKit.JobsAsync(host)).Single();
        job.Attempt.Should().Be(3);
        job.LastError.Should().BeNull();
        log.Runs[job.Id].Should().Be(3);
    }

    [Fact]
    public async Task Job_failing_every_attempt_ends_dead_with_its_error()
    {
        using var database = TestDatabase.Sqlite();
        var log = new RunLog();
        await using var host = await JobTestKit.StartHostAsync(database, log, "h1");

        await JobTestKit.EnqueueAsync(host, [new JobRequest("test", "record", "fail:99") { MaxAttempts = 3 }]);
        await JobTestKit.WaitForAllAsync(host, "dead", 1);

        var job = (await JobTestKit.JobsAsync(host)).Single();
        job.Attempt.Should().Be(3);
        job.LastError.Should().Contain("injected failure on attempt 3");
        log.Runs[job.Id].Should().Be(3);
    }

    [Fact]
    public async Task Unknown_kind_is_marked_dead_not_retried()
    {
        using var database = TestDatabase.Sqlite();
        await using var host = await JobTestKit.StartHostAsync(database, new RunLog(), "h1");

        await JobTestKit.EnqueueAsync(host, [new JobRequest("test", "no-such-kind", "")]);
        await JobTestKit.WaitForAllAsync(host, "dead", 1);

        (await JobTestKit.JobsAsync(host)).Single().LastError.Should().Contain("no handler registered for kind 'no-such-kind'");
    }

    [Fact]
    public async Task Changes_staged_by_a_failed_attempt_are_discarded()
    {
        using var database = TestDatabase.Sqlite();
        var log = new RunLog();
        await using var host = await JobTestKit.StartHostAsync(database, log, "h1");

        await JobTestKit.EnqueueAsync(host, [new JobRequest("test", "stage", "")]);
        await Eventually.TrueAsync(async () => (await JobTestKit.JobsAsync(host)).Count(j => j.Status == "succeeded") == 2, "the staging job and its follow-up succeeded");

        var followUps = (await JobTestKit.JobsAsync(host)).Where(j => j.Kind == "follow-up").ToList();
        followUps.Should().ContainSingle().Which.Payload.Should().EndWith("attempt 2");
    }

    [Fact]
    public async Task Job_of_a_crashed_host_is_reaped_after_its_lease_and_runs_once_elsewhere()
    {
        using var database = TestDatabase.Sqlite();
        var log = new RunLog();
        await using (var crashed = await JobTestKit.StartHostAsync(database, log, "crashed", dispatch: false))
        {
            await JobTestKit.EnqueueAsync(crashed, [new JobRequest("test", "record", "")]);
            // The crashed host claimed the job and then vanished without completing or renewing it.
            var store = crashed.Services.GetRequiredService<JobStore>();
            (await store.ClaimAsync("test", "crashed", 1, TimeSpan.FromSeconds(1), CancellationToken.None)).Should().ContainSingle();
        }

        await using var survivor = await JobTestKit.StartHostAsync(database, log, "survivor");
        await JobTestKit.WaitForAllAsync(survivor, "succeeded", 1);

        var job = (await JobTestKit.JobsAsync(survivor)).Single();
        job.Attempt.Should().Be(2, "the crashed attempt counts");
        log.Runs.Should().ContainSingle().Which.Value.Should().Be(1);
        log.RunsByHost.Keys.Should().Equal("survivor");
    }

    [Fact]
    public async Task Only_the_lease_owner_can_renew_complete_or_fail_a_job()
    {
        using var database = TestDatabase.Sqlite();
        await using var host = await JobTestKit.StartHostAsync(database, new RunLog(), "h1", dispatch: false);
        await JobTestKit.EnqueueAsync(host, [new JobRequest("test", "record", "")]);
        var store = host.Services.GetRequiredService<JobStore>();
        var job = (await store.ClaimAsync("test", "owner-a", 5, TimeSpan.FromMinutes(1), CancellationToken.None)).Single();

        (await store.ClaimAsync("test", "owner-b", 5, TimeSpan.FromMinutes(1), CancellationToken.None)).Should().BeEmpty();
        (await store.RenewAsync(job.Id, "owner-b", TimeSpan.FromMinutes(1), CancellationToken.None)).Should().BeFalse();
        (await store.FailAsync(job.Id, "owner-b", "nope", TimeSpan.Zero, CancellationToken.None)).Should().BeFalse();
        (await host.WithDbAsync(db => store.CompleteAsync(db, job.Id, "owner-b", CancellationToken.None))).Should().BeFalse();

        (await store.RenewAsync(job.Id, "owner-a", TimeSpan.FromMinutes(1), CancellationToken.None)).Should().BeTrue();
        (await host.WithDbAsync(db => store.CompleteAsync(db, job.Id, "owner-a", CancellationToken.None))).Should().BeTrue();
        (await JobTestKit.JobsAsync(host)).Single().Status.Should().Be("succeeded");
    }

    [Fact]
    public async Task A_retry_is_not_claimed_before_its_back_off_has_passed()
    {
        using var database = TestDatabase.Sqlite();
        await using var host = await JobTestKit.StartHostAsync(database, new RunLog(), "h1", dispatch: false);
        await JobTestKit.EnqueueAsync(host, [new JobRequest("test", "record", "")]);
        var store = host.Services.GetRequiredService<JobStore>();
        var job = (await store.ClaimAsync("test", "a", 1, TimeSpan.FromMinutes(1), CancellationToken.None)).Single();

        (await store.FailAsync(job.Id, "a", "transient", TimeSpan.FromHours(1), CancellationToken.None)).Should().BeTrue();

        (await store.ClaimAsync("test", "a", 1, TimeSpan.FromMinutes(1), CancellationToken.None)).Should().BeEmpty();
        var stored = (await JobTestKit.JobsAsync(host)).Single();
        stored.Status.Should().Be("ready");
        stored.NotBefore.Should().BeAfter(DateTime.UtcNow.AddMinutes(59));
        (await store.NextDueAsync("test", CancellationToken.None)).Should().Be(stored.NotBefore);
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(4, 40)]
    [InlineData(20, 600)]
    public void Retry_delay_doubles_per_attempt_up_to_the_cap(int attempt, int expectedSeconds)
    {
        var options = new JobQueueOptions { RetryBaseDelay = TimeSpan.FromSeconds(5), RetryMaxDelay = TimeSpan.FromMinutes(10) };
        JobDispatcher.RetryDelay(options, attempt).Should().Be(TimeSpan.FromSeconds(expectedSeconds));
    }

    [Fact]
    public async Task Enqueueing_to_an_unregistered_queue_is_refused()
    {
        using var database = TestDatabase.Sqlite();
        await using var host = await JobTestKit.StartHostAsync(database, new RunLog(), "h1", dispatch: false);
        var act = () => JobTestKit.EnqueueAsync(host, [new JobRequest("nope", "record", "")]);
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("*'nope' is not registered*");
    }
}
