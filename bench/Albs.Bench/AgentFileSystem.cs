using System.Globalization;

namespace Albs.Bench;

/// <summary>
/// A directory on a tmpfs for the benchmark's agents' files (<c>--agents-apart</c>): agents are other
/// machines with disks of their own, and an rpmbuild makes and removes hundreds of files. On this
/// machine's root file system (ext4 without a journal) every new inode is found by skipping the inodes
/// freed in the last minutes (ext4's <c>recently_deleted</c>), so the agents' removals, on the server's
/// file system, made each of the server's own file creations (a task's log, its scratch directory)
/// scan past them: about a third of the server's CPU in a burst (perf, 2026-11-22).
/// </summary>
internal sealed class AgentFileSystem : IDisposable
{
    private const string SharedMemory = "/dev/shm";

    private AgentFileSystem(string root) => Root = root;

    /// <summary>The directory the agents' own directories go in.</summary>
    public string Root { get; }

    public static AgentFileSystem Create()
    {
        if (!File.ReadLines("/proc/mounts").Any(line => line.Split(' ') is [_, SharedMemory, "tmpfs", ..]))
        {
            throw new InvalidOperationException($"--agents-apart: {SharedMemory} is not a tmpfs here");
        }

        var root = Path.Combine(SharedMemory, $"albs-bench-agents-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
        Directory.CreateDirectory(root);
        return new AgentFileSystem(root);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"bench: could not remove {Root}: {ex.Message}");
        }
    }
}
