using System.Globalization;

namespace Albs.Tests.Common.Processes;

/// <summary>Helpers to observe (grand)children through /proc.</summary>
internal static class ProcessTreeProbe
{
    /// <summary>
    /// True while the pid exists and is not a zombie. A zombie has been killed but not yet reaped by
    /// its (new) parent; depending on the container's init it may linger, so it counts as dead.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Format: "pid (comm) S ...": the state follows the last ')'.
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Polls (bounded) until the pid is dead; returns whether it died.</summary>
    public static async Task<bool> WaitUntilDeadAsync(int pid, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return true;
    }

    public static async Task<int> ReadPidFileAsync(string path)
    {
        var text = await File.ReadAllTextAsync(path);
        return int.Parse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>Last-resort cleanup so a failing test does not leave a sleep 300 behind.</summary>
    public static void KillIfAlive(int pid)
    {
        try
        {
            if (IsAlive(pid))
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
