namespace Albs.Modules.Agents.Health;

/// <summary>Wakes the probe loop early (after a registration, a change, or a reported failure).</summary>
internal sealed class AgentProbeSignal : IDisposable
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Request()
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is already pending.
        }
    }

    /// <summary>Waits for a request or until <paramref name="interval"/> has passed.</summary>
    public Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken) => signal.WaitAsync(interval, cancellationToken);

    public void Dispose() => signal.Dispose();
}
