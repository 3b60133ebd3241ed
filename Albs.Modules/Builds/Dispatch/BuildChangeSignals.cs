using System.Collections.Concurrent;

namespace Albs.Modules.Builds.Dispatch;

/// <summary>
/// In-process wake-ups for build followers (<c>GET /api/v1/builds/{id}/events</c>): whoever writes a
/// task's or a build's state calls <see cref="Changed"/> (or <see cref="ChangedAll"/> when it does not
/// know which builds it touched); a follower takes <see cref="Next"/> before it reads the state, so no
/// change slips between its read and its wait. Only a hint: followers also re-read the state every few
/// seconds, which is what carries other hosts' changes.
/// </summary>
internal sealed class BuildChangeSignals
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource> waiting = new();

    /// <summary>A task that completes at the next change of build <paramref name="buildId"/>.</summary>
    public Task Next(long buildId) =>
        waiting.GetOrAdd(buildId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Changed(long buildId)
    {
        if (waiting.TryRemove(buildId, out var next))
        {
            next.TrySetResult();
        }
    }

    /// <summary>Wakes every follower (each then re-reads its build).</summary>
    public void ChangedAll()
    {
        foreach (var buildId in waiting.Keys)
        {
            Changed(buildId);
        }
    }
}
