using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Albs.Modules.Common.Processes;

namespace Albs.Modules.Agents.Ssh;

/// <summary>Outcome of a <see cref="BinaryProcess"/> run; stderr is kept up to 64 KiB.</summary>
internal sealed record BinaryProcessResult(int ExitCode, bool TimedOut, string StandardError);

/// <summary>
/// Runs a program with raw byte streams on stdin and stdout, for file transfers over ssh (stderr is
/// kept as text, or handed to the caller's reader).
/// <see cref="IProcessRunner"/> takes stdin as a string and decodes stdout into UTF-8 lines, so it
/// cannot carry binary data; this is the same discipline for bytes: an argument list
/// (<see cref="ProcessStartInfo.ArgumentList"/>, no shell), streaming in both directions without
/// buffering whole files, and a whole-tree kill on timeout, cancellation or a local I/O failure.
/// </summary>
internal static class BinaryProcess
{
    private const int StderrLimit = 64 * 1024;

    public static async Task<BinaryProcessResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task>? writeStandardInput,
        Func<Stream, CancellationToken, Task>? readStandardOutput,
        TimeSpan? timeout,
        CancellationToken cancellationToken,
        Func<Stream, CancellationToken, Task>? readStandardError = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("SSH_AUTH_SOCK");
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            throw new ProcessStartException(fileName, null, ex);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit)
        {
            stop.CancelAfter(limit);
        }

        var stdin = WriteAsync(process.StandardInput.BaseStream, writeStandardInput, stop.Token);
        var stdout = readStandardOutput is null
            ? process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, stop.Token)
            : readStandardOutput(process.StandardOutput.BaseStream, stop.Token);
        var stderr = readStandardError is null
            ? ReadLimitedAsync(process.StandardError.BaseStream, stop.Token)
            : ReadWithAsync(process.StandardError.BaseStream, readStandardError, stop.Token);
        var io = Task.WhenAll(stdin, stdout, stderr);
        try
        {
            await io.WaitAsync(stop.Token);
            await process.WaitForExitAsync(stop.Token);
        }
        catch (Exception)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            try
            {
                await io;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // The pumps were stopped with the process.
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!stop.IsCancellationRequested)
            {
                throw;
            }

            return new BinaryProcessResult(process.ExitCode, TimedOut: true, await stderr);
        }

        return new BinaryProcessResult(process.ExitCode, TimedOut: false, await stderr);
    }

    private static async Task WriteAsync(Stream stdin, Func<Stream, CancellationToken, Task>? write, CancellationToken cancellationToken)
    {
        try
        {
            if (write is not null)
            {
                await write(stdin, cancellationToken);
            }
        }
        catch (IOException)
        {
            // The remote side stopped reading (it failed or finished early): its exit code tells.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync();
            }
            catch (IOException)
            {
                // Flushing into a closed pipe.
            }
        }
    }

    // The caller reads stderr itself (e.g. line by line into a log); the result then carries none of it.
    private static async Task<string> ReadWithAsync(Stream stream, Func<Stream, CancellationToken, Task> read, CancellationToken cancellationToken)
    {
        await read(stream, cancellationToken);
        return "";
    }

    private static async Task<string> ReadLimitedAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var kept = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                kept.Write(buffer, 0, Math.Min(read, (int)Math.Max(0, StderrLimit - kept.Length)));
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // Keep what was read.
        }

        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or AggregateException)
        {
            // Already gone.
        }
    }
}
