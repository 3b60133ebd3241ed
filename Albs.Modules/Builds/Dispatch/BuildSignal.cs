namespace Albs.Modules.Builds.Dispatch;

/// <summary>Wakes the build dispatcher: a build was submitted, a task ended, an agent changed.</summary>
internal sealed class BuildSignal : IDisposable
{
    private readonly SemaphoreSlim latch = new(0, 1);

    public void Notify()
    {
        try
        {
            if (latch.CurrentCount == 0)
            {
                latch.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already set.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => latch.WaitAsync(timeout, ct);

    public void Dispose() => latch.Dispose();
}
