using System.Diagnostics;
using System.Globalization;
using Albs.Modules.Builds.Contracts;

namespace Albs.Bench;

/// <summary>
/// Dispatch latency: N builds submitted at once through the API to A recording agents; per SRPM
/// task, the arrival on its agent of the first command naming the task's work directory, minus the
/// moment its submission request was sent. Slots default to one per task (SRPM and arch), so the
/// figure is the engine's latency and not a queue behind busy agents.
/// </summary>
internal static class DispatchBenchmark
{
    private const double AlbsPoll = 10;
    private const double KojiPoll = 15;

    /// <summary>Warm-up goes on (beyond --warmup, up to <see cref="WarmupCap"/> builds) until a round leaves the JIT compiling fewer methods than this.</summary>
    private const int QuietJit = 100;
    private const int WarmupCap = 800;

    public static async Task<BenchmarkResult> RunAsync(BenchOptions options, TextWriter log)
    {
        var result = new BenchmarkResult("dispatch");
        // Made first, so they are removed after the agents are stopped.
        using var background = options.AgentsApart ? await AgentCpuGroup.CreateAsync() : null;
        using var agentFiles = options.AgentsApart ? AgentFileSystem.Create() : null;
        await using var albs = await AlbsUnderTest.StartAsync(options);
        using var repo = await BenchPackages.RepositoryAsync("bench-hello", BenchPackages.HelloSpec);
        var agents = new List<(string Name, Albs.Tests.Support.SshAgentServer Server)>();
        for (var i = 1; i <= options.Agents; i++)
        {
            var name = $"agent{i}";
            agents.Add((name, await albs.AddAgentAsync(name, options.Slots, recordCommands: true, niceness: options.AgentNice, cpuGroup: background?.GroupDirectory, parentDirectory: agentFiles?.Root)));
        }

        var placement = background is null || agentFiles is null
            ? $"competing for the CPU ({AgentCpuGroup.Autogroup()}), on the server's file system"
            : $"apart: their work in the background ({background.Description}), their files on tmpfs in {agentFiles.Root}";
        log.WriteLine($"  {options.Agents} recording agents online, {options.Slots} slots each ({options.Agents * options.Slots} tasks at once)"
            + (options.AgentNice > 0 ? $"; their commands run under nice -n {options.AgentNice}" : "") + $"; agents {placement}");
        result.Details["agents"] = placement;

        // Warm-up, not measured: the server-side mirror is cloned, the agents' ssh master connections
        // are open and the server's per-build code has run often enough for the JIT's tiered
        // compilation to replace its first, unoptimised code (a method is promoted after 30 calls,
        // and with dynamic PGO after an instrumented tier as well), as on a server that has been
        // running. A few builds only (--warmup 4, the runs before 2026-11-22 17:00) leave the burst to
        // run mostly unoptimised code and pay for its recompilation.
        var warm = Stopwatch.StartNew();
        var warmed = 0;
        var warmRounds = new List<WarmRound>();
        var warmStatuses = new List<string>();
        var quiet = false;
        var cap = Math.Max(options.Warmup, WarmupCap);
        while (warmed < options.Warmup || (options.Warmup > options.Agents && !quiet && warmed < cap))
        {
            var round = Math.Min(cap - warmed, Math.Max(options.Agents, options.Builds));
            var jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
            var roundMark = AgentCommands.Mark(agents);

            // The burst's own client code (submissions through Task.Run, the checker's reading and parsing
            // of the agents' records) runs here too: compiled and promoted by the JIT in the warm-up, not in
            // the measured burst, whose CPU this process shares with the server.
            var cpuRound = CpuClock.Now();
            var (warmups, refusedWarmups) = BurstClient.Answers(await BurstClient.SubmitAtOnceAsync(albs, repo.Url, round));
            if (refusedWarmups.FirstOrDefault() is { } refusedWarmup)
            {
                throw new InvalidOperationException($"a warm-up submission was refused: {refusedWarmup}");
            }

            var warmSrpms = BurstClient.SrpmTasks(warmups);
            var (warmFirst, warmArrived) = await BurstClient.FirstCommandsAsync(agents, roundMark, warmSrpms, DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2));
            _ = BurstClient.LastArrival(warmFirst, warmSrpms, warmups);
            _ = CpuClock.Now().Since(cpuRound);
            if (warmArrived != warmSrpms.Count)
            {
                throw new InvalidOperationException("the checker did not find the first command of every warm-up SRPM task");
            }

            var warmEnd = await albs.WaitForAllAsync([.. warmups.Select(s => s.Build.Id)], TimeSpan.FromMinutes(5));

            warmStatuses.AddRange(warmEnd.Values);
            warmed += round;

            // The tiered compiler waits for 100 ms without new first-tier compilations before it counts
            // calls, and compiles in the background: a pause lets a round's promotions happen.
            await Task.Delay(TimeSpan.FromSeconds(options.Warmup > options.Agents ? 1 : 0));
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore;
            warmRounds.Add(new WarmRound(round, compiled));
            quiet = compiled < QuietJit;
        }

        // The JIT's background compilations of the last round finish before the measured part.
        await Task.Delay(TimeSpan.FromSeconds(options.Warmup > options.Agents ? 2 : 0));
        log.WriteLine($"  warm-up: {warmed} builds ended in {warm.Elapsed.TotalSeconds:0.0} s ({string.Join(", ", warmStatuses.GroupBy(s => s).Select(g => $"{g.Count()} {g.Key}"))}); "
            + $"methods compiled by the JIT per round: {string.Join(", ", warmRounds.Select(r => r.MethodsCompiled))}");
        result.Details["warmupBuilds"] = warmed;
        result.Details["warmupRounds"] = warmRounds;

        await OneAtATimeAsync(result, options, albs, repo.Url, agents, log);

        log.WriteLine($"  submitting {options.Builds} builds at once");

        // The checker polls only what the agents record from here on: re-reading the warm-up's
        // thousands of commands every poll cost this process (the server's) CPU in the burst.
        var mark = AgentCommands.Mark(agents);
        using var threads = ThreadPoolSampler.Start();
        var cpuAtStart = CpuClock.Now();
        var jitMethodsAtStart = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitTimeAtStart = System.Runtime.JitInfo.GetCompilationTime();
        var clock = Stopwatch.StartNew();
        var answers = await BurstClient.SubmitAtOnceAsync(albs, repo.Url, options.Builds);
        var cpuAnswered = CpuClock.Now().Since(cpuAtStart);
        var answeredAfter = clock.Elapsed;
        var (submissions, refused) = BurstClient.Answers(answers);
        var srpmIds = BurstClient.SrpmTasks(submissions);
        var (first, arrived) = await BurstClient.FirstCommandsAsync(agents, mark, srpmIds, DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2));
        var lastArrival = BurstClient.LastArrival(first, srpmIds, submissions);
        var cpuArrived = CpuClock.Now().Since(cpuAtStart);
        log.WriteLine($"  {answers.Length} submissions answered after {answeredAfter.TotalSeconds:0.000} s; {refused.Count} refused");
        foreach (var (error, count) in refused.GroupBy(Shorten).Select(g => (g.Key, g.Count())))
        {
            result.Notes.Add($"REFUSED {count}× (of {answers.Length}): {error}");
        }

        result.Details["refusedSubmissions"] = refused;

        var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethodsAtStart;
        var jitTime = System.Runtime.JitInfo.GetCompilationTime() - jitTimeAtStart;
        log.WriteLine($"  the JIT compiled {jitMethods} methods in {jitTime.TotalSeconds:0.000} s until then");
        result.Figures.Add(new Figure("dispatch", "burst: time the JIT spent compiling, until first commands", jitTime.TotalSeconds, "s",
            Note: $"{jitMethods} methods; 0 on a fully warm server"));
        Cpu(result, options, cpuAnswered, cpuArrived, lastArrival, log);
        var pool = threads.Stop();
        log.WriteLine($"  thread pool (server and this client share the process) until then: up to {pool.MaxThreads} threads, up to {pool.MaxQueued} queued work items");
        result.Details["threadPool"] = pool;
        log.WriteLine($"  first commands of {arrived}/{srpmIds.Count} SRPM tasks arrived; waiting for the builds to end");
        var statuses = await albs.WaitForAllAsync([.. submissions.Select(s => s.Build.Id)], TimeSpan.FromMinutes(options.Quick ? 5 : 15));
        var allEnded = clock.Elapsed;
        var builds = new Dictionary<long, BuildResponse>();
        foreach (var submission in submissions)
        {
            builds[submission.Build.Id] = await albs.GetAsync(submission.Build.Id);
        }

        var commands = AgentCommands.Read(agents);
        first = AgentCommands.FirstByTask(commands);
        Analyse(result, options, submissions, builds, first, log);

        foreach (var (error, count) in builds.Values.SelectMany(b => b.Tasks).Where(t => t.Status == "failed")
            .GroupBy(t => t.Error ?? "?").Select(g => (g.Key, g.Count())))
        {
            result.Notes.Add($"FAILED TASKS {count}×: {error}");
        }

        ServerWarnings(result, albs);
        var counts = statuses.Values.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        var notEnded = submissions.Length - counts.Where(c => c.Key is "completed" or "failed" or "cancelled").Sum(c => c.Value);
        result.Figures.Add(new Figure("dispatch", $"all {submissions.Length} accepted builds ended (src + noarch) after", allEnded.TotalSeconds, "s",
            Note: "throughput on this machine, no goal"));
        result.Details["statuses"] = counts;
        result.Details["retriedTasks"] = commands.Where(c => c.Attempt > 1).Select(c => c.TaskId).Distinct().Count();
        result.Notes.Add($"builds: {string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"))}" + (notEnded > 0 ? $", {notEnded} had not ended" : ""));
        if (refused.Count > 0 || arrived < srpmIds.Count || counts.GetValueOrDefault("completed") != submissions.Length)
        {
            result.Status = "failed";
            result.Error = $"{refused.Count}/{answers.Length} submissions refused, {arrived}/{srpmIds.Count} SRPM tasks reached an agent, "
                + $"{counts.GetValueOrDefault("completed")}/{submissions.Length} accepted builds completed";
        }

        return result;
    }

    private static void Analyse(
        BenchmarkResult result, BenchOptions options, Submission[] submissions, Dictionary<long, BuildResponse> builds, Dictionary<long, DateTimeOffset> first, TextWriter log)
    {
        var latency = new List<double>();
        var parts = new Dictionary<string, List<double>>(StringComparer.Ordinal)
        {
            ["request sent → submission answered (client)"] = [],
            ["request sent → build row created (validation, git ls-remote, insert)"] = [],
            ["build created → SRPM task claimed (dispatcher wake, ready query, claim)"] = [],
            ["task claimed → first command on agent (task load, git archive, ssh)"] = [],
        };
        var archLatency = new List<double>();
        foreach (var submission in submissions)
        {
            var build = builds[submission.Build.Id];
            var srpm = build.Tasks.Single(t => t.SrpmTaskId is null);
            parts["request sent → submission answered (client)"].Add((submission.AnsweredAt - submission.SentAt).TotalSeconds);
            if (!first.TryGetValue(srpm.Id, out var arrival))
            {
                continue;
            }

            latency.Add((arrival - submission.SentAt).TotalSeconds);
            var created = AlbsUnderTest.Utc(build.CreatedAt);
            parts["request sent → build row created (validation, git ls-remote, insert)"].Add((created - submission.SentAt).TotalSeconds);
            if (srpm.StartedAt is { } started && srpm.Attempt == 1)
            {
                parts["build created → SRPM task claimed (dispatcher wake, ready query, claim)"].Add((AlbsUnderTest.Utc(started) - created).TotalSeconds);
                parts["task claimed → first command on agent (task load, git archive, ssh)"].Add((arrival - AlbsUnderTest.Utc(started)).TotalSeconds);
            }

            var arch = build.Tasks.Single(t => t.SrpmTaskId is not null);
            if (srpm.FinishedAt is { } srpmDone && first.TryGetValue(arch.Id, out var archArrival))
            {
                archLatency.Add((archArrival - AlbsUnderTest.Utc(srpmDone)).TotalSeconds);
            }
        }

        if (latency.Count == 0)
        {
            throw new InvalidOperationException("no SRPM task reached an agent");
        }

        var stats = Stats.Of(latency);
        var refP50 = AlbsPoll / 2;
        var refP99 = AlbsPoll * 0.99;
        var workload = $"{submissions.Length} builds at once, {options.Agents} agents × {options.Slots} slots";
        result.Figures.Add(new Figure("dispatch", "burst: submit → first agent command, p50", stats.P50, "s", Baseline: refP50, BaselineName: "ALBS poll ref", Note: workload));
        result.Figures.Add(new Figure("dispatch", "burst: submit → first agent command, p95", stats.P95, "s"));
        result.Figures.Add(new Figure("dispatch", "burst: submit → first agent command, p99", stats.P99, "s", Goal.Below(0.5, "s"), refP99, "ALBS poll ref"));
        result.Figures.Add(new Figure("dispatch", "burst: submit → first agent command, max", stats.Max, "s"));
        if (archLatency.Count > 0)
        {
            var arch = Stats.Of(archLatency);
            result.Figures.Add(new Figure("dispatch", "burst: arch task, SRPM finished → first command, p50", arch.P50, "s", Note: "dependent task, dispatcher woken by the finish"));
            result.Figures.Add(new Figure("dispatch", "burst: arch task, SRPM finished → first command, p99", arch.P99, "s"));
        }

        result.Figures.Add(new Figure("dispatch", "ALBS node poll every 10 s: wait p50", refP50, "s", Kind: "reference", Note: "uniform wait over the interval; not measured"));
        result.Figures.Add(new Figure("dispatch", "ALBS node poll every 10 s: wait p99", refP99, "s", Kind: "reference"));
        result.Figures.Add(new Figure("dispatch", "Koji builder poll every 15 s: wait p50", KojiPoll / 2, "s", Kind: "reference"));
        result.Figures.Add(new Figure("dispatch", "Koji builder poll every 15 s: wait p99", KojiPoll * 0.99, "s", Kind: "reference"));

        log.WriteLine($"  where the latency goes (per SRPM task, {latency.Count} samples; seconds):");
        log.WriteLine($"    {"part",-78} {"p50",7} {"p99",7} {"max",7}");
        var breakdown = new Dictionary<string, Stats>(StringComparer.Ordinal);
        foreach (var (name, values) in parts.Where(p => p.Value.Count > 0))
        {
            var s = breakdown[name] = Stats.Of(values);
            log.WriteLine($"    {name,-78} {Seconds(s.P50),7} {Seconds(s.P99),7} {Seconds(s.Max),7}");
        }

        // Every SRPM task's timeline, in seconds after the first request was sent.
        var zero = submissions.Min(s => s.SentAt);
        double? Offset(DateTimeOffset? t) => t is { } x ? Math.Round((x - zero).TotalSeconds, 4) : null;
        var timeline = submissions.Select(s =>
        {
            var build = builds[s.Build.Id];
            var srpm = build.Tasks.Single(t => t.SrpmTaskId is null);
            return new
            {
                build = build.Id,
                task = srpm.Id,
                sent = Offset(s.SentAt),
                answered = Offset(s.AnsweredAt),
                created = Offset(AlbsUnderTest.Utc(build.CreatedAt)),
                claimed = Offset(srpm.StartedAt is { } st ? AlbsUnderTest.Utc(st) : null),
                firstCommand = Offset(first.TryGetValue(srpm.Id, out var f) ? f : null),
                attempt = srpm.Attempt,
            };
        }).ToList();
        var claims = timeline.Select(t => t.claimed).OfType<double>().Order().ToList();
        var creations = timeline.Select(t => t.created).OfType<double>().Order().ToList();
        if (claims.Count > 0 && creations.Count > 0)
        {
            log.WriteLine($"    build rows created from +{creations[0]:0.000} s to +{creations[^1]:0.000} s; SRPM tasks claimed from +{claims[0]:0.000} s to +{claims[^1]:0.000} s (after the first request)");
        }

        result.Details["srpmTimeline"] = timeline;
        var perAgent = builds.Values.Select(b => b.Tasks.Single(t => t.SrpmTaskId is null).Agent ?? "?").GroupBy(a => a).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        log.WriteLine($"    SRPM tasks per agent: {string.Join(", ", perAgent.Select(p => $"{p.Key} {p.Value}"))}");
        result.Details["breakdown"] = breakdown;
        result.Details["srpmTasksPerAgent"] = perAgent;
        result.Details["latencySeconds"] = latency;
        result.Details["archLatencySeconds"] = archLatency;
        result.Details["latency"] = stats;
    }

    /// <summary>
    /// The CPU the burst cost, as a floor under its latency: if this machine's cores did nothing but
    /// the server's work for the submissions and the starts of their SRPM tasks, the last task could
    /// not start sooner than that work divided by the cores.
    /// </summary>
    private static void Cpu(BenchmarkResult result, BenchOptions options, CpuSpent answered, CpuSpent arrived, double lastArrivalSeconds, TextWriter log)
    {
        var cores = Environment.ProcessorCount;
        var server = arrived.ProcessSeconds + arrived.ChildrenSeconds;
        log.WriteLine($"  CPU until all submissions were answered ({answered.WallSeconds:0.00} s wall): this process {answered.ProcessSeconds:0.00} s, its children {answered.ChildrenSeconds:0.00} s, machine {answered.MachineBusySeconds:0.00} s");
        log.WriteLine($"  CPU until the checker saw every first command ({arrived.WallSeconds:0.00} s wall; last arrival {lastArrivalSeconds:0.00} s after the first request): this process {arrived.ProcessSeconds:0.00} s, "
            + $"its children (ssh, git) {arrived.ChildrenSeconds:0.00} s, the machine {arrived.MachineBusySeconds:0.00} s of {arrived.WallSeconds * cores:0.00} s on {cores} cores");
        result.Figures.Add(new Figure("dispatch", "burst: server CPU (process + ssh/git children) per build, until first commands", server / options.Builds * 1000, "ms",
            Note: "this process also runs the client's HTTP requests"));
        result.Figures.Add(new Figure("dispatch", "burst: that CPU divided by the cores (a floor under the last start)", server / cores, "s",
            Note: $"{cores} cores; agents' and other processes' CPU not counted"));
        result.Figures.Add(new Figure("dispatch", "burst: machine busy CPU until the first commands, of the cores' capacity", arrived.MachineBusySeconds / (arrived.WallSeconds * cores) * 100, "%"));
        result.Details["cpuUntilAnswered"] = answered;
        result.Details["cpuUntilFirstCommands"] = arrived;
    }

    /// <summary>
    /// The engine's latency without contention: builds submitted one at a time, each after the
    /// previous one ended (nothing else runs).
    /// </summary>
    private static async Task OneAtATimeAsync(
        BenchmarkResult result, BenchOptions options, AlbsUnderTest albs, string url, List<(string Name, Albs.Tests.Support.SshAgentServer Server)> agents, TextWriter log)
    {
        var count = options.Quick ? 5 : 10;
        var latency = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var mark = AgentCommands.Mark(agents);
            var submission = await albs.SubmitAsync(url);
            var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
            DateTimeOffset arrival;
            while (!AgentCommands.FirstByTask(AgentCommands.Read(agents, mark)).TryGetValue(submission.SrpmTask.Id, out arrival))
            {
                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw new TimeoutException($"the SRPM task of build {submission.Build.Id} never reached an agent");
                }

                await Task.Delay(20);
            }

            latency.Add((arrival - submission.SentAt).TotalSeconds);
            await albs.WaitForEndAsync(submission.Build.Id, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(3));
        }

        var stats = Stats.Of(latency);
        log.WriteLine($"  one build at a time ({count}): submit → first agent command p50 {stats.P50:0.000} s, max {stats.Max:0.000} s");
        result.Figures.Add(new Figure("dispatch", "one build at a time: submit → first agent command, p50", stats.P50, "s", Note: $"{count} builds, each after the previous ended"));
        result.Figures.Add(new Figure("dispatch", "one build at a time: submit → first agent command, max", stats.Max, "s"));
        result.Details["oneAtATimeSeconds"] = latency;
    }

    /// <summary>
    /// What the server logged that bears on the figures: outputs the process runner stopped reading
    /// (by program) and agents the probe marked offline.
    /// </summary>
    private static void ServerWarnings(BenchmarkResult result, AlbsUnderTest albs)
    {
        var logs = albs.App.Logs.ToArray();
        var abandoned = logs.Where(l => l.Contains("exited but its output stayed open", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split(' ')[0])
            .GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        var offline = logs.Count(l => l.Contains("is offline (was online)", StringComparison.Ordinal));
        if (abandoned.Count > 0)
        {
            result.Notes.Add($"server: the process runner stopped reading the output of {abandoned.Values.Sum()} exited processes "
                + $"({string.Join(", ", abandoned.Select(a => $"{a.Key} {a.Value}"))}) — 'output stayed open with no data for 2 s'");
        }

        if (offline > 0)
        {
            result.Notes.Add($"server: agents were marked offline {offline}× during the run");
        }

        result.Details["abandonedOutputs"] = abandoned;
        result.Details["agentsMarkedOffline"] = offline;
    }

    /// <summary>An error without its per-request trace id, so equal errors group together.</summary>
    private static string Shorten(string error)
    {
        var trace = error.IndexOf(",\"traceId\"", StringComparison.Ordinal);
        return trace > 0 ? error[..trace] : error;
    }

    private static string Seconds(double x) => x.ToString("0.000", CultureInfo.InvariantCulture);
}

/// <summary>One warm-up round: builds run, and methods the JIT compiled meanwhile (first tier or promoted).</summary>
internal sealed record WarmRound(int Builds, long MethodsCompiled);
