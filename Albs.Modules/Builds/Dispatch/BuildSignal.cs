namespace Albs.Modules.Builds.Dispatch;

/// <summary>Wakes the build dispatcher: a build was submitted, a task ended, an agent changed.</summary>
internal sealed class BuildSignal : IDisposable
{
    /// <summary>The PostgreSQL channel other hosts' task and agent changes are announced on (see the BuildsNotify migration).</summary>
    public const string Channel = "albs_builds";

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
