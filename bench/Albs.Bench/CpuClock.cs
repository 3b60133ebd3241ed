using System.Diagnostics;
using System.Globalization;

namespace Albs.Bench;

/// <summary>
/// CPU time at one moment: this process's (the server and the benchmark's client share it), its
/// waited-for children's (ssh, git, …) and the whole machine's busy time from <c>/proc/stat</c>
/// (agents' sshd and rpmbuild, and anything else running on the machine).
/// </summary>
internal sealed record CpuClock(DateTimeOffset At, double ProcessSeconds, double ChildrenSeconds, double MachineBusySeconds)
{
    private const double Hz = 100; // USER_HZ: the unit of /proc's times on Linux

    public static CpuClock Now()
    {
        using var self = Process.GetCurrentProcess();
        return new CpuClock(DateTimeOffset.UtcNow, self.TotalProcessorTime.TotalSeconds, Children(), MachineBusy());
    }

    /// <summary>What was spent between <paramref name="start"/> and this moment.</summary>
    public CpuSpent Since(CpuClock start) => new(
        (At - start.At).TotalSeconds, ProcessSeconds - start.ProcessSeconds, ChildrenSeconds - start.ChildrenSeconds, MachineBusySeconds - start.MachineBusySeconds);

    // Fields 16 and 17 of /proc/self/stat: cutime and cstime, CPU time of children that were waited for.
    private static double Children()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(fields[13], CultureInfo.InvariantCulture) + double.Parse(fields[14], CultureInfo.InvariantCulture)) / Hz;
    }

    // The first line of /proc/stat: user nice system idle iowait irq softirq steal …; busy is all but idle and iowait.
    private static double MachineBusy()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / Hz;
    }
}

/// <summary>CPU seconds spent over <paramref name="WallSeconds"/>.</summary>
internal sealed record CpuSpent(double WallSeconds, double ProcessSeconds, double ChildrenSeconds, double MachineBusySeconds);
