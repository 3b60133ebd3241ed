using System.Collections.Concurrent;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// In-process wake-ups for log followers: a writer calls <see cref="Changed"/> after each flushed
/// line, a follower awaits <see cref="Next"/> (taken before it reads, so no line slips between its
/// read and its wait). Followers on another host fall back to a short poll.
/// </summary>
internal sealed class LogSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> waiting = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the next change of <paramref name="path"/>.</summary>
    public Task Next(string path) =>
        waiting.GetOrAdd(path, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Changed(string path)
    {
        if (waiting.TryRemove(path, out var next))
        {
            next.TrySetResult();
        }
    }
}
