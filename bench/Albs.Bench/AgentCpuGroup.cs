using System.Globalization;
using Albs.Modules.Common.Processes;

namespace Albs.Bench;

/// <summary>
/// One CPU cgroup of the lowest weight for everything the benchmark's agents run (<c>--agents-apart</c>):
/// the server's threads are served first and the agents get what is left, which is as close as one
/// machine comes to agents on other machines. Without it, on a kernel with autogroup scheduling
/// (<c>/proc/sys/kernel/sched_autogroup_enabled</c>), every ssh session is a session of its own
/// (sshd calls <c>setsid</c>) and so a scheduling group of its own, weighted like the whole server
/// process: with 100 sessions building, the server gets about one hundredth of the CPU, and
/// <c>nice</c> inside a session changes nothing between groups.
/// Needs root and a cgroup file system with the cpu controller (v1 <c>/sys/fs/cgroup/cpu</c>, or v2).
/// </summary>
internal sealed class AgentCpuGroup : IDisposable
{
    private const string V1Root = "/sys/fs/cgroup/cpu";
    private const string V2Root = "/sys/fs/cgroup";

    private AgentCpuGroup(string directory, string parent, string description)
    {
        GroupDirectory = directory;
        this.parent = parent;
        Description = description;
    }

    private readonly string parent;

    /// <summary>The group's directory (its <c>cgroup.procs</c> takes a process).</summary>
    public string GroupDirectory { get; }

    /// <summary>Which cgroup version and weight, for the report.</summary>
    public string Description { get; }

    /// <summary>Whether the kernel schedules sessions as groups of their own (autogroup), as a line for the report.</summary>
    public static string Autogroup() =>
        File.Exists("/proc/sys/kernel/sched_autogroup_enabled")
            ? $"sched_autogroup_enabled={File.ReadAllText("/proc/sys/kernel/sched_autogroup_enabled").Trim()}"
            : "no autogroup";

    /// <summary>Creates the group, or explains why it cannot.</summary>
    public static async Task<AgentCpuGroup> CreateAsync()
    {
        var name = $"albs-bench-agents-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            if (File.Exists(Path.Combine(V1Root, "cpu.shares")))
            {
                var directory = Directory.CreateDirectory(Path.Combine(V1Root, name)).FullName;
                File.WriteAllText(Path.Combine(directory, "cpu.shares"), "2");
                return await CheckedAsync(new AgentCpuGroup(directory, V1Root, "cgroup v1, cpu.shares 2 (the server's: 1024)"));
            }

            if (File.Exists(Path.Combine(V2Root, "cgroup.controllers"))
                && File.ReadAllText(Path.Combine(V2Root, "cgroup.controllers")).Split(' ', '\n').Contains("cpu"))
            {
                File.WriteAllText(Path.Combine(V2Root, "cgroup.subtree_control"), "+cpu");
                var directory = Directory.CreateDirectory(Path.Combine(V2Root, name)).FullName;
                File.WriteAllText(Path.Combine(directory, "cpu.weight"), "1");
                return await CheckedAsync(new AgentCpuGroup(directory, V2Root, "cgroup v2, cpu.weight 1 (the server's: 100)"));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"--agents-apart: cannot create a CPU cgroup ({ex.Message}); it needs root and the cpu controller", ex);
        }

        throw new InvalidOperationException("--agents-apart: no cgroup file system with the cpu controller (neither /sys/fs/cgroup/cpu nor cgroup v2 with cpu)");
    }

    /// <summary>A process can join the group (what every agent session does first), or the benchmark stops here.</summary>
    private static async Task<AgentCpuGroup> CheckedAsync(AgentCpuGroup group)
    {
        var join = await new ProcessRunner().RunCapturedAsync(new ProcessSpec("/bin/sh", ["-c", "echo $$ > \"$1/cgroup.procs\"", "sh", group.GroupDirectory]));
        if (!join.Succeeded)
        {
            group.Dispose();
            throw new InvalidOperationException($"--agents-apart: a process cannot join {group.GroupDirectory}: {join.StandardError.Trim()}");
        }

        return group;
    }

    /// <summary>Moves what is left in the group back to its parent and removes it.</summary>
    public void Dispose()
    {
        try
        {
            foreach (var pid in File.ReadAllLines(Path.Combine(GroupDirectory, "cgroup.procs")))
            {
                try
                {
                    File.WriteAllText(Path.Combine(parent, "cgroup.procs"), pid);
                }
                catch (IOException)
                {
                    // Gone meanwhile.
                }
            }

            Directory.Delete(GroupDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"bench: could not remove {GroupDirectory}: {ex.Message}");
        }
    }
}
