using System.Formats.Tar;
using System.Text;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Common.Processes;
using Albs.Modules.Common.Storage;
using Albs.Tests.Support;
using Microsoft.Extensions.Options;

namespace Albs.Tests.Builds;

/// <summary>Exports from the server-side mirror: real git, a real repository.</summary>
public sealed class GitMirrorTests : IAsyncLifetime
{
    private readonly string root = Directory.CreateTempSubdirectory("albs-mirror-").FullName;
    private TestGitRepository repo = null!;

    public async Task InitializeAsync() => repo = await TestGitRepository.CreateAsync("pkg");

    public Task DisposeAsync()
    {
        repo.Dispose();
        Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Two_exports_of_one_repository_run_at_once_and_each_tar_holds_its_commit()
    {
        var first = await repo.CommitAsync("first", ("pkg.spec", "Version: 1\n"));
        var second = await repo.CommitAsync("second", ("pkg.spec", "Version: 2\n"), ("notes.txt", "new\n"));
        var runner = new ArchiveRendezvous(new ProcessRunner(), expected: 2);
        var mirror = Mirror(runner);

        // Each archive waits until the other one has started too: if exports held the
        // repository's lock, the second would never start and the first would give up.
        await Task.WhenAll(
            mirror.ExportAsync(repo.Url, first, SourceTar("a"), CancellationToken.None),
            mirror.ExportAsync(repo.Url, second, SourceTar("b"), CancellationToken.None));

        runner.MostAtOnce.Should().Be(2);
        (await EntriesAsync(SourceTar("a"))).Should().Equal(new Dictionary<string, string> { ["pkg.spec"] = "Version: 1\n" });
        (await EntriesAsync(SourceTar("b"))).Should().Equal(new Dictionary<string, string> { ["pkg.spec"] = "Version: 2\n", ["notes.txt"] = "new\n" });
    }

    [Fact]
    public async Task A_commit_pushed_after_the_mirror_was_made_is_fetched_before_its_export()
    {
        var first = await repo.CommitAsync("first", ("pkg.spec", "Version: 1\n"));
        var mirror = Mirror(new ProcessRunner());
        await mirror.ExportAsync(repo.Url, first, SourceTar("a"), CancellationToken.None);

        var later = await repo.CommitAsync("later", ("pkg.spec", "Version: 3\n"));
        await mirror.ExportAsync(repo.Url, later, SourceTar("b"), CancellationToken.None);

        (await EntriesAsync(SourceTar("b"))).Should().Equal(new Dictionary<string, string> { ["pkg.spec"] = "Version: 3\n" });
        Directory.EnumerateDirectories(Path.Combine(root, "data", "git")).Should().ContainSingle("the clone was moved into place whole");
    }

    [Fact]
    public async Task Two_hosts_sharing_the_data_directory_clone_and_fetch_the_same_mirror_at_once()
    {
        var first = await repo.CommitAsync("first", ("pkg.spec", "Version: 1\n"));
        for (var round = 0; round < 3; round++)
        {
            var data = Path.Combine(root, $"shared-{round}");
            var hosts = new[] { Mirror(new ProcessRunner(), data), Mirror(new ProcessRunner(), data) };
            await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
                hosts[i % 2].ExportAsync(repo.Url, first, SourceTar($"r{round}-{i}"), CancellationToken.None)));

            // A commit neither mirror has: both fetch into the shared mirror at once.
            var later = await repo.CommitAsync($"later {round}", ("pkg.spec", $"Version: {round + 2}\n"));
            await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
                hosts[i % 2].ExportAsync(repo.Url, later, SourceTar($"l{round}-{i}"), CancellationToken.None)));
            foreach (var i in Enumerable.Range(0, 4))
            {
                (await EntriesAsync(SourceTar($"l{round}-{i}")))["pkg.spec"].Should().Be($"Version: {round + 2}\n");
            }

            Directory.EnumerateDirectories(Path.Combine(data, "git")).Should().ContainSingle("the losing clone was discarded");
        }
    }

    [Fact]
    public async Task A_commit_is_archived_once_however_many_tasks_export_it_at_once_or_later()
    {
        var first = await repo.CommitAsync("first", ("pkg.spec", "Version: 1\n"));
        var runner = new ArchiveCounter(new ProcessRunner());
        var mirror = Mirror(runner);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            mirror.ExportAsync(repo.Url, first, SourceTar($"t{i}"), CancellationToken.None)));
        await mirror.ExportAsync(repo.Url, first, SourceTar("later"), CancellationToken.None);

        runner.Archives.Should().Be(1, "the commit's tar is kept and shared");
        foreach (var dir in Enumerable.Range(0, 8).Select(i => $"t{i}").Append("later"))
        {
            (await EntriesAsync(SourceTar(dir))).Should().Equal(new Dictionary<string, string> { ["pkg.spec"] = "Version: 1\n" });
        }

        // Each task's tar is another name of the kept one (10 names: the kept file and 9 tasks'), not a copy.
        var kept = KeptFiles("*.tar").Should().ContainSingle().Subject;
        Path.GetFileName(kept).Should().Be(first + ".tar");
        (await LinkCountAsync(kept)).Should().Be(10);

        // A task's clean-up removes its name only; a later commit is archived once more.
        File.Delete(SourceTar("t0"));
        (await LinkCountAsync(kept)).Should().Be(9);
        var second = await repo.CommitAsync("second", ("pkg.spec", "Version: 2\n"));
        await mirror.ExportAsync(repo.Url, second, SourceTar("t0"), CancellationToken.None);
        runner.Archives.Should().Be(2);
        (await EntriesAsync(SourceTar("t0")))["pkg.spec"].Should().Be("Version: 2\n");
    }

    [Fact]
    public async Task Exports_older_than_the_retention_are_swept_without_taking_them_from_tasks_and_made_again_when_asked()
    {
        var first = await repo.CommitAsync("first", ("pkg.spec", "Version: 1\n"));
        var runner = new ArchiveCounter(new ProcessRunner());
        var mirror = Mirror(runner);
        var task = SourceTar("a");
        await mirror.ExportAsync(repo.Url, first, task, CancellationToken.None);
        var kept = KeptFiles("*.tar").Single();
        var cutShort = kept + ".partial-0badf00d";
        await File.WriteAllTextAsync(cutShort, "half a tar");

        mirror.SweepExports(DateTime.UtcNow.AddDays(-1)).Should().Be(0, "both files are new");
        File.SetLastWriteTimeUtc(kept, DateTime.UtcNow.AddDays(-2));
        File.SetLastWriteTimeUtc(cutShort, DateTime.UtcNow.AddDays(-2));
        mirror.SweepExports(DateTime.UtcNow.AddDays(-1)).Should().Be(2);

        File.Exists(kept).Should().BeFalse();
        File.Exists(cutShort).Should().BeFalse();
        (await EntriesAsync(task))["pkg.spec"].Should().Be("Version: 1\n", "the task's name of the file outlives the sweep");

        await mirror.ExportAsync(repo.Url, first, SourceTar("b"), CancellationToken.None);
        runner.Archives.Should().Be(2);
        (await EntriesAsync(SourceTar("b")))["pkg.spec"].Should().Be("Version: 1\n");
    }

    [Fact]
    public async Task An_export_that_failed_is_tried_afresh_by_the_next_task_that_needs_it()
    {
        var first = await repo.CommitAsync("first", ("pkg.spec", "Version: 1\n"));
        var second = await repo.CommitAsync("second", ("pkg.spec", "Version: 2\n"));
        await repo.GitAsync("update-ref", "refs/heads/main", first);
        var mirror = Mirror(new ProcessRunner());

        // The second commit is in no ref of the repository: the mirror cannot get it.
        var missing = () => mirror.ExportAsync(repo.Url, second, SourceTar("a"), CancellationToken.None);
        (await missing.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain(second);

        await repo.GitAsync("update-ref", "refs/heads/main", second);
        await mirror.ExportAsync(repo.Url, second, SourceTar("b"), CancellationToken.None);
        (await EntriesAsync(SourceTar("b")))["pkg.spec"].Should().Be("Version: 2\n");
        KeptFiles("*").Should().ContainSingle().Which.Should().EndWith(second + ".tar", "the failed attempt left no partial file");
    }

    [Theory]
    [InlineData("../../../etc/passwd")]
    [InlineData("0123456")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF01234567")]
    public async Task Only_a_full_lower_case_commit_id_names_an_export(string commit)
    {
        await repo.CommitAsync("first", ("pkg.spec", "Version: 1\n"));
        var runner = new ArchiveCounter(new ProcessRunner());

        var export = () => Mirror(runner).ExportAsync(repo.Url, commit, SourceTar("a"), CancellationToken.None);

        await export.Should().ThrowAsync<ArgumentException>();
        runner.Archives.Should().Be(0);
        Directory.Exists(Path.Combine(root, "data", "git")).Should().BeFalse("nothing was cloned");
        Directory.Exists(Path.Combine(root, "data", "git-exports")).Should().BeFalse("nothing was exported");
    }

    /// <summary>A task's tar in its scratch directory <paramref name="task"/>.</summary>
    private string SourceTar(string task) => Path.Combine(root, task, "source.tar");

    /// <summary>What the mirror keeps in its exports directory (of the default data directory).</summary>
    private string[] KeptFiles(string pattern) => Directory.GetFiles(Path.Combine(root, "data", "git-exports"), pattern, SearchOption.AllDirectories);

    private GitMirror Mirror(IProcessRunner runner, string? data = null) =>
        new(runner, new DataDirectory(data ?? Path.Combine(root, "data")), Options.Create(new BuildSourceOptions { AllowFileUrls = true }));

    private static async Task<Dictionary<string, string>> EntriesAsync(string tar)
    {
        var entries = new Dictionary<string, string>();
        await using var stream = File.OpenRead(tar);
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                using var content = new StreamReader(entry.DataStream!, Encoding.UTF8);
                entries[entry.Name] = await content.ReadToEndAsync();
            }
        }

        return entries;
    }

    private static async Task<int> LinkCountAsync(string path)
    {
        var result = await new ProcessRunner().RunCapturedAsync(new ProcessSpec("stat", ["-c", "%h", "--", path]));
        result.Succeeded.Should().BeTrue(result.StandardError);
        return int.Parse(result.StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs real processes and counts the <c>git archive</c> runs that made a tar (not those that found no such commit).</summary>
    private sealed class ArchiveCounter(IProcessRunner inner) : IProcessRunner
    {
        private int archives;

        public int Archives => Volatile.Read(ref archives);

        public async Task<ProcessResult> RunAsync(ProcessSpec spec, Func<ProcessOutputLine, ValueTask>? onLine = null, CancellationToken cancellationToken = default)
        {
            var result = await inner.RunAsync(spec, onLine, cancellationToken);
            if (spec.Arguments.Contains("archive") && result.ExitCode == 0)
            {
                Interlocked.Increment(ref archives);
            }

            return result;
        }
    }

    /// <summary>Runs real processes; each <c>git archive</c> first waits until <c>expected</c> of them have started.</summary>
    private sealed class ArchiveRendezvous(IProcessRunner inner, int expected) : IProcessRunner
    {
        private readonly TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int started;
        private int inFlight;

        public int MostAtOnce { get; private set; }

        public async Task<ProcessResult> RunAsync(ProcessSpec spec, Func<ProcessOutputLine, ValueTask>? onLine = null, CancellationToken cancellationToken = default)
        {
            if (!spec.Arguments.Contains("archive"))
            {
                return await inner.RunAsync(spec, onLine, cancellationToken);
            }

            lock (all)
            {
                MostAtOnce = Math.Max(MostAtOnce, ++inFlight);
            }

            if (Interlocked.Increment(ref started) == expected)
            {
                all.SetResult();
            }

            try
            {
                // A deadlock guard, not a speed limit: serialised exports never get here together.
                try
                {
                    await all.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                }
                catch (TimeoutException)
                {
                    throw new TimeoutException($"only {Volatile.Read(ref started)} of {expected} archives started: the exports ran one after another");
                }

                return await inner.RunAsync(spec, onLine, cancellationToken);
            }
            finally
            {
                lock (all)
                {
                    inFlight--;
                }
            }
        }
    }
}
