using Albs.Bench;

// The build engine's benchmarks (docs/performance.md): prints a table of figures with goals and
// ratios to baselines run side by side, and writes the same as JSON.
BenchOptions options;
try
{
    if (args.Contains("--help") || args.Contains("-h"))
    {
        Console.WriteLine(BenchOptions.Usage);
        return 0;
    }

    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"bench: {ex.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.MinThreads is { } minThreads)
{
    ThreadPool.GetMinThreads(out _, out var io);
    ThreadPool.SetMinThreads(minThreads, Math.Max(io, minThreads));
}

var started = DateTimeOffset.UtcNow;
var loadBefore = MachineInfo.LoadAverage();
Console.WriteLine($"Albs benchmarks: {string.Join(", ", options.Benchmarks)}{(options.Quick ? " (quick)" : "")}, database {options.Database}"
    + $"{(options.MinThreads is { } m ? $", thread pool minimum {m}" : "")}{(options.AgentNice > 0 ? $", agents under nice -n {options.AgentNice}" : "")}{(options.AgentsApart ? ", agents apart (background CPU group, files on tmpfs)" : "")}, on {Environment.ProcessorCount} cores, load {loadBefore}");
var results = new List<BenchmarkResult>();
foreach (var name in options.Benchmarks)
{
    Console.WriteLine($"== {name}");
    var clock = System.Diagnostics.Stopwatch.StartNew();
    BenchmarkResult result;
    try
    {
        result = name switch
        {
            "dispatch" => await DispatchBenchmark.RunAsync(options, Console.Out),
            "overhead" => await OverheadBenchmark.RunAsync(options, Console.Out),
            "livelog" => await LiveLogBenchmark.RunAsync(options, Console.Out),
            "web" => await WebBenchmark.RunAsync(options, Console.Out),
            _ => throw new InvalidOperationException(name),
        };
    }
    catch (Exception ex)
    {
        Console.WriteLine($"  {name} failed: {ex}");
        result = new BenchmarkResult(name) { Status = "failed", Error = ex.Message };
    }

    foreach (var note in result.Notes)
    {
        Console.WriteLine($"  {note}");
    }

    Console.WriteLine($"  ({name}: {clock.Elapsed.TotalSeconds:0} s)");
    results.Add(result);
}

var run = new BenchRun(
    started,
    DateTimeOffset.UtcNow,
    "bench/run " + string.Join(' ', args),
    Environment.GetEnvironmentVariable("ALBS_BENCH_COMMIT"),
    new MachineInfo(Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, loadBefore, MachineInfo.LoadAverage()),
    options,
    results);
var output = options.Out ?? Path.Combine(
    Environment.GetEnvironmentVariable("ALBS_BENCH_RESULTS") ?? "bench/results",
    $"{started:yyyyMMdd-HHmmss}-{string.Join('-', options.Benchmarks)}{(options.Database == "sqlite" ? "" : "-" + options.Database)}{(options.MinThreads is { } n ? $"-minthreads{n}" : "")}{(options.AgentNice > 0 ? $"-nice{options.AgentNice}" : "")}{(options.AgentsApart ? "-apart" : "")}{(options.NoIndexes ? "-no-indexes" : "")}{(options.Quick ? "-quick" : "")}.json");
await Report.WriteJsonAsync(output, run);

Console.WriteLine();
Console.Write(Report.Table(results));
Console.WriteLine($"ratio = measured ÷ baseline; REFERENCE lines are stated, not measured. Load average before/after: {loadBefore} / {run.Machine.LoadAfter}");
Console.WriteLine($"JSON: {output}");
return results.All(r => r.Status == "ok") ? 0 : 1;
