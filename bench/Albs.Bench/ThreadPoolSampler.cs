namespace Albs.Bench;

/// <summary>The busiest the thread pool got while sampled.</summary>
internal sealed record ThreadPoolPeak(int MaxThreads, long MaxQueued, int MinThreadsSetting);

/// <summary>
/// Samples the process's thread pool every 20 ms. The server runs in this process, so starvation
/// (work queued while threads are blocked, e.g. in SQLite's busy wait) shows up here.
/// </summary>
internal sealed class ThreadPoolSampler : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampling;
    private int maxThreads;
    private long maxQueued;

    private ThreadPoolSampler() => sampling = Task.Run(SampleAsync);

    public static ThreadPoolSampler Start() => new();

    public ThreadPoolPeak Stop()
    {
        stop.Cancel();
        sampling.Wait();
        ThreadPool.GetMinThreads(out var minWorkers, out _);
        return new ThreadPoolPeak(maxThreads, maxQueued, minWorkers);
    }

    public void Dispose()
    {
        if (!stop.IsCancellationRequested)
        {
            Stop();
        }

        stop.Dispose();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            do
            {
                maxThreads = Math.Max(maxThreads, ThreadPool.ThreadCount);
                maxQueued = Math.Max(maxQueued, ThreadPool.PendingWorkItemCount);
            }
            while (await timer.WaitForNextTickAsync(stop.Token));
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }
}
