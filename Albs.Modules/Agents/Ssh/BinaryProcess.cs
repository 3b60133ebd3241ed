using System.ComponentModel;
using System.Diagnostics;
using Albs.Modules.Common.Processes;

namespace Albs.Modules.Agents.Ssh;

/// <summary>Outcome of a <see cref="BinaryProcess"/> run.</summary>
internal sealed record BinaryProcessResult(int ExitCode, bool TimedOut);

/// <summary>
/// Runs a program with its three standard streams handed to the caller as raw byte streams (for an
/// ssh session that carries a task's inputs, log and results).
/// <see cref="IProcessRunner"/> takes stdin as a string and decodes stdout into UTF-8 lines, so it
/// cannot carry binary data; this is the same discipline for bytes: an argument list
/// (<see cref="ProcessStartInfo.ArgumentList"/>, no shell), streaming in both directions without
/// buffering whole files, and a whole-tree kill on timeout, cancellation or a local I/O failure.
/// </summary>
internal static class BinaryProcess
{
    public static async Task<BinaryProcessResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task> writeStandardInput,
        Func<Stream, CancellationToken, Task> readStandardOutput,
        Func<Stream, CancellationToken, Task> readStandardError,
        TimeSpan? timeout,
        CancellationToken cancellationToken)
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
        var stdout = readStandardOutput(process.StandardOutput.BaseStream, stop.Token);
        var stderr = readStandardError(process.StandardError.BaseStream, stop.Token);
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

            return new BinaryProcessResult(process.ExitCode, TimedOut: true);
        }

        return new BinaryProcessResult(process.ExitCode, TimedOut: false);
    }

    private static async Task WriteAsync(Stream stdin, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        try
        {
            await write(stdin, cancellationToken);
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
