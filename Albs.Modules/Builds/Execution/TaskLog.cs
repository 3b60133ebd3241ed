using System.Text;

namespace Albs.Modules.Builds.Execution;

/// <summary>
/// The log of one task attempt: lines are appended to a file under the data directory as they
/// arrive from the agent (flushed per line, so readers see them at once).
/// </summary>
internal sealed class TaskLog : IAsyncDisposable
{
    private readonly StreamWriter writer;
    private readonly SemaphoreSlim gate = new(1, 1);

    public TaskLog(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
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
    }

    public ValueTask InfoAsync(string message) => WriteAsync($"albs: {message}");

    public async ValueTask DisposeAsync()
    {
        await writer.DisposeAsync();
        gate.Dispose();
    }
}
