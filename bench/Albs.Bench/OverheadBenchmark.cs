using System.Globalization;
using Albs.Modules.Builds.Contracts;
using Albs.Tests.Support;

namespace Albs.Bench;

/// <summary>
/// Overhead per build: a trivial package built end to end through Albs (submit → build finished,
/// an SRPM task and a noarch task on one agent) against the same two rpmbuild runs done directly
/// over ssh on the same agent, alternating round by round. Afterwards a few traced builds on a
/// recording agent show where Albs' extra time goes.
/// </summary>
internal static class OverheadBenchmark
{
    private sealed record AlbsRun(Submission Submission, BuildResponse Build)
    {
        /// <summary>Request sent (client clock) → build finished (server clock; same machine).</summary>
        public double EndToEnd => (AlbsUnderTest.Utc(Build.FinishedAt!.Value) - Submission.SentAt).TotalSeconds;

        public double Server => (AlbsUnderTest.Utc(Build.FinishedAt!.Value) - AlbsUnderTest.Utc(Build.CreatedAt)).TotalSeconds;
    }

    public static async Task<BenchmarkResult> RunAsync(BenchOptions options, TextWriter log)
    {
        var result = new BenchmarkResult("overhead");
        await using var albs = await AlbsUnderTest.StartAsync(options);
        var agent = await albs.AddAgentAsync("agent1", 2, recordCommands: false);
        var traced = await albs.AddAgentAsync("traced", 2, recordCommands: true, maintenance: true);
        using var repo = await BenchPackages.RepositoryAsync("bench-hello", BenchPackages.HelloSpec);
        var staging = Directory.CreateTempSubdirectory("albs-bench-src-");
        try
        {
            var tar = Path.Combine(staging.FullName, "source.tar");
            await repo.GitAsync("archive", "--format=tar", "-o", tar, "HEAD");
            var defines = await albs.RpmbuildDefinesAsync();
            await using var ssh = new DirectSsh(agent);
            var plain = new PlainRpmbuild(agent, ssh, tar, defines);

            // Warm-up, not measured: mirror clone, compiled code paths, both ssh master connections.
            await plain.RunAsync();
            await BuildAsync(albs, repo);

            var plainRuns = new List<PlainRun>();
            var albsRuns = new List<AlbsRun>();
            for (var round = 1; round <= options.Rounds; round++)
            {
                // Alternating which goes first cancels slow drifts of the machine's load.
                if (round % 2 == 1)
                {
                    plainRuns.Add(await plain.RunAsync());
                    albsRuns.Add(await BuildAsync(albs, repo));
                }
                else
                {
                    albsRuns.Add(await BuildAsync(albs, repo));
                    plainRuns.Add(await plain.RunAsync());
                }

                log.WriteLine($"  round {round}: plain {plainRuns[^1].Seconds:0.000} s, Albs {albsRuns[^1].EndToEnd:0.000} s (server {albsRuns[^1].Server:0.000} s)");
            }

            var plainMedian = Stats.Median(plainRuns.Select(r => r.Seconds));
            var albsMedian = Stats.Median(albsRuns.Select(r => r.EndToEnd));
            var serverMedian = Stats.Median(albsRuns.Select(r => r.Server));
            var rounds = $"median of {options.Rounds} alternating rounds";
            result.Figures.Add(new Figure("overhead", "plain: ssh rpmbuild -bs + ssh rpmbuild --rebuild", plainMedian, "s", Note: rounds));
            result.Figures.Add(new Figure("overhead", "Albs: submit → build finished (src + noarch)", albsMedian, "s", Goal.RatioAtMost(1.3), plainMedian, "plain", Note: rounds));
            result.Figures.Add(new Figure("overhead", "Albs: build created → finished (server side)", serverMedian, "s", Baseline: plainMedian, BaselineName: "plain"));
            result.Figures.Add(new Figure("overhead", "Albs extra time per build (median difference)", albsMedian - plainMedian, "s"));
            result.Details["plainSeconds"] = plainRuns;
            result.Details["albsEndToEndSeconds"] = albsRuns.Select(r => r.EndToEnd).ToList();
            result.Details["albsServerSeconds"] = albsRuns.Select(r => r.Server).ToList();

            await TraceAsync(result, options, albs, repo, traced, tar, defines, log);
        }
        finally
        {
            staging.Delete(recursive: true);
        }

        return result;
    }

    private static async Task<AlbsRun> BuildAsync(AlbsUnderTest albs, TestGitRepository repo)
    {
        var submission = await albs.SubmitAsync(repo.Url);

        // The end comes from the build's own finishedAt: polling only finds out that it is there,
        // and polls rarely so as not to load the server being measured.
        var (build, _) = await albs.WaitForEndAsync(submission.Build.Id, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(3));
        if (build.Status != "completed")
        {
            throw new InvalidOperationException($"build {build.Id} ended {build.Status}: {string.Join("; ", build.Tasks.Select(t => t.Error).OfType<string>())}");
        }

        return new AlbsRun(submission, build);
    }

    /// <summary>Builds on the recording agent and lists each step's share, from API and agent timestamps.</summary>
    private static async Task TraceAsync(
        BenchmarkResult result, BenchOptions options, AlbsUnderTest albs, TestGitRepository repo, SshAgentServer traced, string tar, IReadOnlyList<string> defines, TextWriter log)
    {
        await albs.SetMaintenanceAsync("agent1", true);
        await albs.SetMaintenanceAsync("traced", false);
        await using var ssh = new DirectSsh(traced);
        var plain = new PlainRpmbuild(traced, ssh, tar, defines);
        await plain.RunAsync();
        var count = options.Quick ? 1 : 3;
        var runs = new List<AlbsRun>();
        var plainRuns = new List<PlainRun>();
        for (var i = 0; i < count; i++)
        {
            runs.Add(await BuildAsync(albs, repo));
            plainRuns.Add(await plain.RunAsync());
        }

        var commands = AgentCommands.Read([("traced", traced)]);
        if (!plain.MatchesRecorded(commands))
        {
            result.Notes.Add("WARNING: the executor did not send the build scripts and defines the baseline runs (bench/Albs.Bench/PlainRpmbuild.cs)");
        }

        var segments = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var run in runs)
        {
            var events = Timeline(run, commands);
            for (var i = 1; i < events.Count; i++)
            {
                var label = $"{events[i - 1].Label} → {events[i].Label}";
                if (!segments.TryGetValue(label, out var list))
                {
                    segments[label] = list = [];
                }

                list.Add((events[i].At - events[i - 1].At).TotalMilliseconds);
            }
        }

        var total = Stats.Median(runs.Select(r => r.EndToEnd)) * 1000;
        log.WriteLine($"  where a traced Albs build's time goes (recording agent, median of {count}; total {total:0} ms):");
        var breakdown = new List<object>();
        foreach (var (label, values) in segments)
        {
            var median = Stats.Median(values);
            breakdown.Add(new { segment = label, medianMs = median, samples = values.Count });
            log.WriteLine($"    {label,-62} {median.ToString("0", CultureInfo.InvariantCulture),6} ms  {median / total,4:P0}");
        }

        var plainSrpm = Stats.Median(plainRuns.Select(r => r.SrpmSeconds)) * 1000;
        var plainRebuild = Stats.Median(plainRuns.Select(r => r.RebuildSeconds)) * 1000;
        log.WriteLine($"    plain on the same agent: ssh rpmbuild -bs {plainSrpm:0} ms, ssh cp + rpmbuild --rebuild {plainRebuild:0} ms");
        result.Details["tracedBreakdown"] = breakdown;
        result.Details["tracedPlainMs"] = new { srpm = plainSrpm, rebuild = plainRebuild };
        result.Details["tracedCommands"] = commands.Where(c => runs.Any(r => r.Build.Tasks.Any(t => t.Id == c.TaskId)))
            .Select(c => new { at = c.At, task = c.TaskId, kind = c.Kind }).ToList();
    }

    private static List<(string Label, DateTimeOffset At)> Timeline(AlbsRun run, List<AgentCommand> commands)
    {
        var build = run.Build;
        var events = new List<(string, DateTimeOffset)> { ("submit sent", run.Submission.SentAt), ("build created", AlbsUnderTest.Utc(build.CreatedAt)) };
        foreach (var (task, name) in new[] { (build.Tasks.Single(t => t.SrpmTaskId is null), "src"), (build.Tasks.Single(t => t.SrpmTaskId is not null), AlbsUnderTest.Arch) })
        {
            events.Add(($"{name} claimed", AlbsUnderTest.Utc(task.StartedAt!.Value)));
            events.AddRange(commands.Where(c => c.TaskId == task.Id).Select(c => ($"{name}: {c.Kind}", c.At)));
            events.Add(($"{name} finished", AlbsUnderTest.Utc(task.FinishedAt!.Value)));
        }

        events.Add(("build finished", AlbsUnderTest.Utc(build.FinishedAt!.Value)));
        return events;
    }
}
