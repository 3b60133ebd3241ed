using System.Globalization;
using Albs.Modules.Common.Processes;

namespace Albs.Bench;

/// <summary>
/// Live log latency: a build's %build prints <c>tick &lt;agent clock&gt;</c> lines; an SSE client on
/// <c>GET /api/v1/builds/{id}/tasks/{taskId}/logs/build.1.log/stream</c> timestamps each one as it
/// arrives (same machine, same clock). Baseline, side by side: the same loop run directly over ssh to
/// the same agent at the same time, lines timestamped as the ssh client prints them (the transport's
/// own latency under the same noise).
/// </summary>
internal static class LiveLogBenchmark
{
    public static async Task<BenchmarkResult> RunAsync(BenchOptions options, TextWriter log)
    {
        var result = new BenchmarkResult("livelog");
        await using var albs = await AlbsUnderTest.StartAsync(options);
        var agent = await albs.AddAgentAsync("agent1", 2, recordCommands: false);
        using var repo = await BenchPackages.RepositoryAsync("bench-ticks", BenchPackages.TicksSpec(options.Ticks, options.TickInterval));
        var workload = $"{options.Ticks} lines, {options.TickInterval.ToString("0.###", CultureInfo.InvariantCulture)} s apart";

        await using var ssh = new DirectSsh(agent);
        await ssh.RunCheckedAsync("true");
        Task<List<double>>? baselineRun = null;
        var submission = await albs.SubmitAsync(repo.Url);
        var task = submission.ArchTask;
        var path = $"/api/v1/builds/{submission.Build.Id}/tasks/{task.Id}/logs/build.1.log/stream";
        var samples = new List<double>();
        var offsets = new List<long>();
        var events = 0;
        using var client = albs.NewClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            // Opened before the task starts: the stream waits for the log to appear.
            await SseClient.ReadAsync(client, path, e =>
            {
                if (e.Type == "message")
                {
                    // The baseline runs at the same time on the same agent, so both see the same noise.
                    baselineRun ??= Task.Run(() => BaselineAsync(ssh, options));
                    events++;
                    if (long.TryParse(e.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                    {
                        offsets.Add(offset);
                    }

                    if (BenchPackages.TryParseTick(e.Data, out var printed))
                    {
                        samples.Add((e.ReceivedAt - printed).TotalMilliseconds);
                    }
                }

                return ValueTask.CompletedTask;
            }, limit.Token);
        }
        catch (SseNotFoundException ex)
        {
            result.Status = "unavailable";
            result.Error = $"{ex.Message}: the live log endpoint is not in this build of Albs";
        }

        var direct = await (baselineRun ?? BaselineAsync(ssh, options));
        var baseline = Stats.Of(direct);
        var (build, _) = await albs.WaitForEndAsync(submission.Build.Id, TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(3));
        log.WriteLine($"  ssh baseline: {direct.Count} lines, p50 {baseline.P50:0.0} ms, p99 {baseline.P99:0.0} ms ({(baselineRun is null ? "after" : "alongside")} the Albs build)");
        log.WriteLine($"  Albs build {build.Id} {build.Status}; {events} log events, {samples.Count}/{options.Ticks} ticks over SSE");
        result.Figures.Add(new Figure("livelog", "baseline: agent line → ssh client, p50", baseline.P50, "ms", Note: workload));
        result.Figures.Add(new Figure("livelog", "baseline: agent line → ssh client, p99", baseline.P99, "ms"));
        result.Details["sshMs"] = direct;
        result.Details["sshStats"] = baseline;
        if (samples.Count > 0)
        {
            var stats = Stats.Of(samples);
            result.Figures.Add(new Figure("livelog", "agent line → SSE client, p50", stats.P50, "ms", Baseline: baseline.P50, BaselineName: "ssh", Note: workload));
            result.Figures.Add(new Figure("livelog", "agent line → SSE client, p95", stats.P95, "ms", Baseline: baseline.P95, BaselineName: "ssh"));
            result.Figures.Add(new Figure("livelog", "agent line → SSE client, p99", stats.P99, "ms", Goal.Below(250, "ms"), baseline.P99, "ssh"));
            result.Figures.Add(new Figure("livelog", "agent line → SSE client, max", stats.Max, "ms", Baseline: baseline.Max, BaselineName: "ssh"));
            result.Details["sseMs"] = samples;
            result.Details["sseStats"] = stats;
        }

        if (result.Status == "ok")
        {
            var ordered = offsets.Zip(offsets.Skip(1)).All(p => p.Second > p.First);
            if (samples.Count != options.Ticks || !ordered || build.Status != "completed")
            {
                result.Status = "failed";
                result.Error = $"{samples.Count}/{options.Ticks} ticks arrived, event ids {(ordered ? "increasing" : "NOT increasing")}, build {build.Status}";
            }
        }

        return result;
    }

    /// <summary>The tick loop run directly over ssh; each line timestamped as the ssh client prints it.</summary>
    private static async Task<List<double>> BaselineAsync(DirectSsh ssh, BenchOptions options)
    {
        var direct = new List<double>();
        var loop = await ssh.RunAsync(PosixShell.Join(["sh", "-c", BenchPackages.TickLoop(options.Ticks, options.TickInterval)]), line =>
        {
            var received = DateTimeOffset.UtcNow;
            if (BenchPackages.TryParseTick(line.Text, out var printed))
            {
                direct.Add((received - printed).TotalMilliseconds);
            }

            return ValueTask.CompletedTask;
        });
        return loop.Succeeded && direct.Count == options.Ticks
            ? direct
            : throw new InvalidOperationException($"the ssh baseline loop exited {loop.ExitCode} with {direct.Count}/{options.Ticks} lines");
    }
}
