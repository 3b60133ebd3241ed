using System.Globalization;

namespace Albs.Bench;

/// <summary>Command-line options; <c>--quick</c> shrinks every workload to a smoke run.</summary>
internal sealed record BenchOptions(
    IReadOnlyList<string> Benchmarks,
    bool Quick,
    int Builds,
    int Agents,
    int Slots,
    int Rounds,
    int Ticks,
    double TickInterval,
    string Database,
    int? MinThreads,
    string? Out,
    int AgentNice = 0,
    bool NoIndexes = false,
    int Warmup = 4,
    bool AgentsApart = false)
{
    public static readonly string[] Names = ["dispatch", "overhead", "livelog", "web"];

    /// <summary>What <c>all</c> runs (web seeds 100,000 builds: run on its own).</summary>
    public static readonly string[] AllNames = ["dispatch", "overhead", "livelog"];

    public const string Usage = """
        usage: bench/run [dispatch|overhead|livelog|web|all]... [--quick] [options]
          dispatch   submit → first command on an agent, N builds submitted at once to A agents
          overhead   end-to-end time of one trivial build through Albs ÷ plain rpmbuild over ssh
          livelog    a line printed on the agent → the same line at an SSE client
          web        /builds, /builds/{id}, the dashboard and the API with 100,000 builds and 500,000 tasks seeded; wrk on GET /api/v1/builds
          all        dispatch, overhead and livelog (the default)
        options:
          --quick            small smoke run (dispatch 20 builds, overhead 2 rounds, livelog 20 ticks)
          --builds N         dispatch: builds submitted at once (default 100)
          --agents N         dispatch: agents (default 4)
          --slots N          dispatch: slots per agent (default: one per task, 50 for 100 builds on 4 agents; at most 64)
          --rounds N         overhead: alternating plain/Albs rounds (default 5)
          --ticks N          livelog: lines printed (default 200)
          --interval S       livelog: seconds between lines (default 0.05)
          --db sqlite|postgres  the server's database (default sqlite; postgres starts a PostgreSQL 15 of its own)
          --no-indexes       web: drop the indexes of migration 20261122150500_BuildListIndexes first (the baseline)
          --min-threads N    diagnostic: raise the thread pool's minimum (the server runs in this process)
          --warmup N         dispatch: builds run before measuring, in bursts of at most --builds (default 150,
                             --quick 4), then more bursts until one leaves the JIT compiling fewer than 100
                             methods (at most 800 builds): the server's hot paths are then compiled by the JIT's
                             optimising tier, as on a server that has been running; --warmup 4 (no more bursts
                             when N is at most --agents) is the cold server of earlier runs
          --agent-nice N     dispatch: the agents run what they receive under `nice -n N` (1-19; arrivals are
                             recorded at normal priority), so their builds do not take the CPU from the server
                             as they could not if they were other machines (default 0: no nice)
          --agents-apart     dispatch: the agents as if on machines of their own: everything they run after its
                             arrival is recorded runs in one CPU cgroup of the lowest weight (the server is served
                             first), and their files (work directories, keys) are on a tmpfs (/dev/shm), so their
                             builds' file churn does not slow the server's file system (needs root). Without it,
                             autogroup scheduling weighs each ssh session like the whole server process
                             (bench/Albs.Bench/AgentCpuGroup.cs)
          --out FILE         JSON results (default bench/results/<time>-<benchmarks>.json)
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var names = new List<string>();
        var quick = args.Contains("--quick");
        var noIndexes = args.Contains("--no-indexes");
        var agentsApart = args.Contains("--agents-apart");
        int? builds = null, agents = null, slots = null, rounds = null, ticks = null;
        double? interval = null;
        string? output = null;
        var database = "sqlite";
        int? minThreads = null;
        var agentNice = 0;
        int? warmup = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            int Count() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{arg} needs a positive whole number");
            switch (arg)
            {
                case "--quick" or "--no-indexes" or "--agents-apart":
                    break;
                case "--builds":
                    builds = Count();
                    break;
                case "--agents":
                    agents = Count();
                    break;
                case "--slots":
                    slots = Count();
                    break;
                case "--rounds":
                    rounds = Count();
                    break;
                case "--ticks":
                    ticks = Count();
                    break;
                case "--interval":
                    interval = double.TryParse(Next(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) && s is > 0 and <= 10
                        ? s : throw new ArgumentException("--interval needs seconds between 0 and 10");
                    break;
                case "--out":
                    output = Next();
                    break;
                case "--db":
                    database = Next() is "sqlite" or "postgres" ? args[i] : throw new ArgumentException("--db is sqlite or postgres");
                    break;
                case "--min-threads":
                    minThreads = Count();
                    break;
                case "--agent-nice":
                    agentNice = Count() is var nice and <= 19 ? nice : throw new ArgumentException("--agent-nice is 1 to 19");
                    break;
                case "--warmup":
                    warmup = Count();
                    break;
                case "all":
                    names.AddRange(AllNames);
                    break;
                case var name when Names.Contains(name):
                    names.Add(name);
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{arg}'");
            }
        }

        var selected = names.Count == 0 ? AllNames : Names.Where(names.Contains).ToArray();
        var b = builds ?? (quick ? 20 : 100);
        var a = agents ?? 4;

        // A slot for every task (SRPM and arch: two per build, at most 64 per agent): the figure is then
        // dispatch latency, not a queue. With only one slot per build, arch tasks of early builds
        // (older, so scheduled first) take the slots that later builds' SRPM tasks wait for.
        var defaultSlots = Math.Min(64, ((2 * b) + a - 1) / a);
        return new BenchOptions(
            selected, quick, b, a, slots ?? defaultSlots, rounds ?? (quick ? 2 : 5), ticks ?? (quick ? 20 : 200), interval ?? (quick ? 0.1 : 0.05),
            database, minThreads, output, agentNice, noIndexes, warmup ?? (quick ? 4 : 150), agentsApart);
    }
}
