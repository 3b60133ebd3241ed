using System.Collections.Concurrent;

namespace Albs.Modules.Builds;

/// <summary>
/// In-process wake-ups keyed by what changed: a writer calls <see cref="Changed"/> after each change, a
/// follower awaits <see cref="Next"/>, taken before it reads, so no change slips between its read and
/// its wait. Only a hint: followers on other hosts (and every follower, as a safety net) re-read on a timer.
/// </summary>
internal abstract class KeyedSignals<TKey>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TaskCompletionSource> waiting = new();

    /// <summary>A task that completes at the next change of <paramref name="key"/>.</summary>
    public Task Next(TKey key) =>
        waiting.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Changed(TKey key)
    {
        if (waiting.TryRemove(key, out var next))
        {
            next.TrySetResult();
        }
    }

    /// <summary>Wakes every follower (each then re-reads what it follows).</summary>
    public void ChangedAll()
    {
        foreach (var key in waiting.Keys)
        {
            Changed(key);
        }
    }
}
