using Albs.Modules.Builds.Sources;
using Albs.Modules.Common.Processes;
using Albs.Tests.Support;
using Microsoft.Extensions.Options;

namespace Albs.Tests.Builds;

/// <summary>Concurrent resolutions of one repository share <c>git ls-remote</c> runs, without reading stale refs.</summary>
public sealed class SourceResolverCoalescingTests : IAsyncLifetime
{
    private readonly LsRemoteGate runner = new(new ProcessRunner());
    private TestGitRepository repo = null!;
    private string firstCommit = "";

    public async Task InitializeAsync()
    {
        repo = await TestGitRepository.CreateAsync("bash");
        firstCommit = await repo.CommitAsync("first", ("bash.spec", "Name: bash\n"));
    }

    public Task DisposeAsync()
    {
        runner.Open();
        repo.Dispose();
        return Task.CompletedTask;
    }

    private GitSourceResolver Resolver() =>
        new(runner, Options.Create(new BuildSourceOptions { AllowFileUrls = true }));

    [Fact]
    public async Task A_hundred_concurrent_resolutions_of_one_repository_run_ls_remote_twice_and_all_get_the_commit()
    {
        var resolver = Resolver();
        var first = resolver.ResolveAsync(repo.Url, "main", CancellationToken.None);
        await runner.FirstRunHasOutput;
        var others = Enumerable.Range(0, 99).Select(_ => resolver.ResolveAsync(repo.Url, "main", CancellationToken.None)).ToList();
        runner.Open();

        var results = await Task.WhenAll(others.Prepend(first));

        results.Should().AllSatisfy(r => r.Resolved!.Commit.Should().Be(firstCommit));
        runner.Runs.Should().Be(2, "the first submission's run, then one run shared by the 99 that arrived during it");
    }

    [Fact]
    public async Task Unhindered_concurrent_resolutions_run_far_fewer_ls_remotes_than_submissions()
    {
        runner.Open();
        var resolver = Resolver();

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => resolver.ResolveAsync(repo.Url, "main", CancellationToken.None))));

        results.Should().AllSatisfy(r => r.Resolved!.Commit.Should().Be(firstCommit));
        runner.Runs.Should().BeLessThan(20);
    }

    [Fact]
    public async Task A_commit_pushed_while_ls_remote_runs_is_seen_by_a_resolution_that_started_after_the_push()
    {
        var resolver = Resolver();
        var before = resolver.ResolveAsync(repo.Url, "main", CancellationToken.None);
        await runner.FirstRunHasOutput;
        var pushed = await repo.CommitAsync("second", ("bash.spec", "Name: bash\nVersion: 2\n"));

        var after = resolver.ResolveAsync(repo.Url, "main", CancellationToken.None);
        await Task.Delay(200);
        after.IsCompleted.Should().BeFalse("it must not take the output of the run that started before the push");
        runner.Open();

        (await before).Resolved!.Commit.Should().Be(firstCommit);
        (await after).Resolved!.Commit.Should().Be(pushed);
        runner.Runs.Should().Be(2);
    }

    [Fact]
    public async Task Every_waiter_of_a_failing_run_gets_its_error()
    {
        runner.Open();
        var resolver = Resolver();
        var missing = repo.Url + "-missing";

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => resolver.ResolveAsync(missing, "main", CancellationToken.None)));

        results.Should().AllSatisfy(r => r.Error.Should().StartWith("cannot read the repository: fatal:"));
        (await resolver.ResolveAsync(repo.Url, "main", CancellationToken.None)).Resolved!.Commit.Should().Be(firstCommit, "a failure is not remembered");
    }

    [Fact]
    public async Task Every_waiter_of_a_run_that_cannot_start_gets_the_exception()
    {
        var resolver = new GitSourceResolver(new UnstartableRunner(), Options.Create(new BuildSourceOptions { AllowFileUrls = true }));

        var waiters = Enumerable.Range(0, 5).Select(_ => resolver.ResolveAsync(repo.Url, "main", CancellationToken.None)).ToList();

        foreach (var waiter in waiters)
        {
            await waiter.Invoking(w => w).Should().ThrowAsync<ProcessStartException>();
        }
    }

    [Fact]
    public async Task A_cancelled_waiter_stops_waiting_and_the_others_still_get_the_commit()
    {
        var resolver = Resolver();
        var first = resolver.ResolveAsync(repo.Url, "main", CancellationToken.None);
        await runner.FirstRunHasOutput;
        using var cancel = new CancellationTokenSource();
        var cancelled = resolver.ResolveAsync(repo.Url, "main", cancel.Token);
        var kept = resolver.ResolveAsync(repo.Url, "main", CancellationToken.None);

        await cancel.CancelAsync();
        await cancelled.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
        runner.Open();

        (await first).Resolved!.Commit.Should().Be(firstCommit);
        (await kept).Resolved!.Commit.Should().Be(firstCommit, "the run the cancelled waiter was waiting for ran on for the others");
        runner.Runs.Should().Be(2);
    }

    /// <summary>Counts <c>git ls-remote</c> runs and holds the first one's result, once it has its output, until opened.</summary>
    private sealed class LsRemoteGate(IProcessRunner inner) : IProcessRunner
    {
        private readonly TaskCompletionSource firstHasOutput = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int runs;

        public int Runs => Volatile.Read(ref runs);

        public Task FirstRunHasOutput => firstHasOutput.Task;

        public void Open() => open.TrySetResult();

        public async Task<ProcessResult> RunAsync(ProcessSpec spec, Func<ProcessOutputLine, ValueTask>? onLine = null, CancellationToken cancellationToken = default)
        {
            if (!spec.Arguments.Contains("ls-remote"))
            {
                return await inner.RunAsync(spec, onLine, cancellationToken);
            }

            var run = Interlocked.Increment(ref runs);
            var result = await inner.RunAsync(spec, onLine, cancellationToken);
            if (run == 1)
            {
                firstHasOutput.TrySetResult();
                await open.Task.WaitAsync(cancellationToken);
            }

            return result;
        }
    }

    private sealed class UnstartableRunner : IProcessRunner
    {
        public async Task<ProcessResult> RunAsync(ProcessSpec spec, Func<ProcessOutputLine, ValueTask>? onLine = null, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            throw new ProcessStartException($"cannot start {spec.FileName}");
        }
    }
}
