using System.Buffers;
using System.Text;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// The log of one task attempt: lines are appended to a file under the data directory as they
/// arrive from the agent, each written through to the file at once, and every follower is woken.
/// When the attempt ends (disposal) the file is compressed.
/// </summary>
/// <remarks>
/// A line is one <c>write</c> to a file opened for appending, made on the caller's thread: a write
/// of a few bytes into the page cache does not wait for the disk, and doing it synchronously spares
/// each line the asynchronous flush's hop through the thread pool (a burst of builds writes thousands
/// of lines a second; a thread-time profile showed the hops, though the benchmarks then showed no
/// difference beyond their noise: docs/performance.md).
/// </remarks>
internal sealed class TaskLog : IAsyncDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly FileStream file;
    private readonly Lock gate = new();
    private readonly LogSignals signals;

    public TaskLog(string path, LogSignals signals)
    {
        Path = path;
        this.signals = signals;
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
    }

    public string Path { get; }

    public ValueTask WriteAsync(string line)
    {
        var size = Utf8.GetMaxByteCount(line.Length) + 1;
        var rented = size > 1024 ? ArrayPool<byte>.Shared.Rent(size) : null;
        var bytes = rented ?? stackalloc byte[size];
        var length = Utf8.GetBytes(line, bytes);
        bytes[length++] = (byte)'\n';
        try
        {
            lock (gate)
            {
                file.Write(bytes[..length]);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        signals.Changed(Path);
        return ValueTask.CompletedTask;
    }

    public ValueTask InfoAsync(string message) => WriteAsync($"albs: {message}");

    public async ValueTask DisposeAsync()
    {
        lock (gate)
        {
            file.Dispose();
        }

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
