using System.Text;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// The log of one task attempt: lines are appended to a file under the data directory as they
/// arrive from the agent, flushed per line, and every follower is woken at once. When the attempt
/// ends (disposal) the file is compressed.
/// </summary>
internal sealed class TaskLog : IAsyncDisposable
{
    private readonly StreamWriter writer;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly LogSignals signals;

    public TaskLog(string path, LogSignals signals)
    {
        Path = path;
        this.signals = signals;
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new UTF8Encoding(false));
    }

    public string Path { get; }

    public async ValueTask WriteAsync(string line)
    {
        await gate.WaitAsync();
        try
        {
            await writer.WriteLineAsync(line);
            await writer.FlushAsync();
        }
        finally
        {
            gate.Release();
        }

        signals.Changed(Path);
    }

    public ValueTask InfoAsync(string message) => WriteAsync($"albs: {message}");

    public async ValueTask DisposeAsync()
    {
        await writer.DisposeAsync();
        gate.Dispose();
        try
        {
            await LogFiles.CompressAsync(Path, CancellationToken.None);
        }
        catch (IOException)
        {
            // The plain log stays; it is served just the same.
        }

        signals.Changed(Path);
    }
}
