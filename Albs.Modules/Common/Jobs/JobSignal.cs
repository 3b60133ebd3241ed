using System.Collections.Concurrent;

namespace Albs.Modules.Common.Jobs;

/// <summary>
/// In-process wake-ups, one latch per queue. A signal that arrives while a dispatcher is busy is
/// remembered, so a dispatcher that checks the database and then waits never misses one.
/// </summary>
internal sealed class JobSignal
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> latches = new(StringComparer.Ordinal);

    public void Notify(string queue)
    {
        var latch = Latch(queue);
        try
        {
            if (latch.CurrentCount == 0)
            {
                latch.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Another notifier got there first: the latch is already set.
        }
    }

    public void NotifyAll()
    {
        foreach (var queue in latches.Keys)
        {
            Notify(queue);
        }
    }

    public Task<bool> WaitAsync(string queue, TimeSpan timeout, CancellationToken cancellationToken) =>
        Latch(queue).WaitAsync(timeout, cancellationToken);

    private SemaphoreSlim Latch(string queue) => latches.GetOrAdd(queue, _ => new SemaphoreSlim(0, 1));
}
