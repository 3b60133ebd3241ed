using System.Collections.Concurrent;

namespace Albs.Modules.Builds.Dispatch;

/// <summary>The tasks this host is running, so a cancel can stop them at once.</summary>
internal sealed class RunningTasks
{
    private readonly ConcurrentDictionary<long, CancellationTokenSource> tasks = new();

    public void Add(long taskId, CancellationTokenSource cancellation) => tasks[taskId] = cancellation;

    public void Remove(long taskId) => tasks.TryRemove(taskId, out _);

    /// <summary>Stops the task if it runs here; false otherwise (its host notices at its next lease renewal).</summary>
    public bool Cancel(long taskId)
    {
        if (!tasks.TryGetValue(taskId, out var cancellation))
        {
            return false;
        }

        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended meanwhile.
        }

        return true;
    }
}
