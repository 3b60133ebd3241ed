using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Albs.Modules.Common.Processes;

/// <summary>
/// The <see cref="IProcessRunner"/> built on <see cref="Process"/>: argv-list arguments
/// (<see cref="ProcessStartInfo.ArgumentList"/>, never a shell string, never <c>UseShellExecute</c>),
/// redirected standard streams, line-by-line output streaming, and whole-tree kill on timeout or cancellation.
/// </summary>
/// <remarks>
/// Only the program name and the argument count are logged (at Debug): arguments may carry secrets.
/// </remarks>
public sealed class ProcessRunner : IProcessRunner
{
    /// <summary>
    /// After the process exited, how long the output pipes may stay open with no progress at all before the
    /// runner checks them: it stops reading only if they hold neither data nor their end, which happens when a
    /// detached descendant (outside the killable tree, e.g. an ssh ControlPersist master) inherited them;
    /// everything the process itself wrote is read first, however slow the readers are to run.
    /// </summary>
    internal static readonly TimeSpan DefaultDrainIdleTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Longer lines are delivered in pieces of this many characters (one more when a surrogate pair
    /// straddles the cut).
    /// </summary>
    internal const int MaxLineLength = OutputLines.MaxLineLength;

    // The largest delay CancellationTokenSource.CancelAfter accepts (about 49.7 days).
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private readonly ILogger<ProcessRunner> _logger;
    private readonly TimeSpan _drainIdleTimeout;

    /// <summary>Creates a runner.</summary>
    /// <param name="logger">Optional logger; nothing is logged when null.</param>
    public ProcessRunner(ILogger<ProcessRunner>? logger = null)
        : this(logger, DefaultDrainIdleTimeout)
    {
    }

    internal ProcessRunner(ILogger<ProcessRunner>? logger, TimeSpan drainIdleTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(drainIdleTimeout, TimeSpan.Zero);
        _logger = logger ?? NullLogger<ProcessRunner>.Instance;
        _drainIdleTimeout = drainIdleTimeout;
    }

    /// <inheritdoc />
    public async Task<ProcessResult> RunAsync(
        ProcessSpec spec,
        Func<ProcessOutputLine, ValueTask>? onLine = null,
        CancellationToken cancellationToken = default)
    {
        Validate(spec);
        cancellationToken.ThrowIfCancellationRequested();

        var programName = Path.GetFileName(spec.FileName);
        using var process = new Process { StartInfo = CreateStartInfo(spec) };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            throw new ProcessStartException(spec.FileName, spec.WorkingDirectory, ex);
        }

        _logger.LogDebug(
            "Started {Program} (pid {ProcessId}) with {ArgumentCount} argument(s)",
            programName,
            process.Id,
            spec.Arguments.Count);

        using var run = new RunState(onLine, cancellationToken);
        using var readCts = new CancellationTokenSource();
        using var timeoutCts = new CancellationTokenSource();
        using var stopCts = CancellationTokenSource.CreateLinkedTokenSource(
            cancellationToken, timeoutCts.Token, run.CallbackFailed);
        var finished = false;
        var killed = false;
        try
        {
            var stdinTask = WriteStandardInputAsync(process.StandardInput, spec.StandardInput, readCts.Token);
            var stdoutTask = run.PumpAsync(process.StandardOutput, ProcessStream.StandardOutput, readCts.Token);
            var stderrTask = run.PumpAsync(process.StandardError, ProcessStream.StandardError, readCts.Token);
            if (spec.Timeout is { } timeout)
            {
                timeoutCts.CancelAfter(timeout);
            }

            try
            {
                await process.WaitForExitAsync(stopCts.Token);
            }
            catch (OperationCanceledException) when (stopCts.IsCancellationRequested)
            {
                killed = KillTree(process, programName);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            // The process is gone: read what it left in the pipes, then make sure nothing is still pending.
            await DrainAsync(run, stdoutTask, stderrTask, [process.StandardOutput.BaseStream, process.StandardError.BaseStream], readCts, programName);
            await readCts.CancelAsync();
            await stdinTask;
            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // Never leave a tree running behind an unexpected exception.
                KillTree(process, programName);
            }
        }

        stopwatch.Stop();
        var exitCode = GetExitCode(process);
        run.ThrowIfCallbackFailed();
        cancellationToken.ThrowIfCancellationRequested();

        var timedOut = killed && timeoutCts.IsCancellationRequested;
        if (timedOut)
        {
            _logger.LogWarning(
                "{Program} (pid {ProcessId}) timed out after {Timeout}; its process tree was killed",
                programName,
                process.Id,
                spec.Timeout);
        }
        else
        {
            _logger.LogDebug(
                "{Program} (pid {ProcessId}) exited with code {ExitCode} after {Duration}",
                programName,
                process.Id,
                exitCode,
                stopwatch.Elapsed);
        }

        return new ProcessResult(exitCode, timedOut, stopwatch.Elapsed);
    }

    private static void Validate(ProcessSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(spec.FileName, nameof(spec));
        ArgumentNullException.ThrowIfNull(spec.Arguments, nameof(spec));
        RejectNul(spec.FileName, "The program name", nameof(spec));
        for (var i = 0; i < spec.Arguments.Count; i++)
        {
            var argument = spec.Arguments[i]
                ?? throw new ArgumentException($"Argument at index {i} is null.", nameof(spec));
            RejectNul(argument, $"Argument at index {i}", nameof(spec));
        }

        if (spec.WorkingDirectory is not null)
        {
            RejectNul(spec.WorkingDirectory, "The working directory", nameof(spec));
        }

        if (spec.Environment is not null)
        {
            foreach (var (name, value) in spec.Environment)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('=', StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Invalid environment variable name '{name}'.", nameof(spec));
                }

                RejectNul(name, "An environment variable name", nameof(spec));
                if (value is not null)
                {
                    RejectNul(value, $"Environment variable '{name}'", nameof(spec));
                }
            }
        }

        if (spec.Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > MaxTimeout))
        {
            throw new ArgumentOutOfRangeException(
                nameof(spec), timeout, $"The timeout must be positive and at most {MaxTimeout}; use null for no limit.");
        }
    }

    private static void RejectNul(string value, string what, string paramName)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            // Never echo the value itself: it may be a secret.
            throw new ArgumentException(
                $"{what} contains a NUL character (U+0000), which cannot be passed to a process.",
                paramName);
        }
    }

    private static ProcessStartInfo CreateStartInfo(ProcessSpec spec)
    {
        var startInfo = new ProcessStartInfo(spec.FileName)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8NoBom,
            StandardOutputEncoding = Utf8NoBom,
            StandardErrorEncoding = Utf8NoBom,
        };

        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (spec.WorkingDirectory is not null)
        {
            startInfo.WorkingDirectory = spec.WorkingDirectory;
        }

        if (spec.Environment is not null)
        {
            foreach (var (name, value) in spec.Environment)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(name);
                }
                else
                {
                    startInfo.Environment[name] = value;
                }
            }
        }

        return startInfo;
    }

    private static async Task WriteStandardInputAsync(StreamWriter stdin, string? text, CancellationToken cancellationToken)
    {
        try
        {
            if (!string.IsNullOrEmpty(text))
            {
                await stdin.WriteAsync(text.AsMemory(), cancellationToken);
                await stdin.FlushAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The child exited (or was killed) without reading all of its input: not an error of ours.
        }
        finally
        {
            try
            {
                stdin.Dispose();
            }
            catch (IOException)
            {
                // Flushing into a pipe whose reader is gone.
            }
        }
    }

    private bool KillTree(Process process, string programName)
    {
        try
        {
            if (process.HasExited)
            {
                return false;
            }

            process.Kill(entireProcessTree: true);
            return true;
        }
        catch (InvalidOperationException)
        {
            // Already exited: nothing to kill.
            return false;
        }
        catch (Exception ex) when (ex is Win32Exception or AggregateException or NotSupportedException)
        {
            _logger.LogWarning(ex, "Could not kill every process of the {Program} tree (pid {ProcessId})", programName, process.Id);
            return true;
        }
    }

    private async Task DrainAsync(
        RunState run,
        Task stdoutTask,
        Task stderrTask,
        Stream[] pipes,
        CancellationTokenSource readCts,
        string programName)
    {
        var pumps = Task.WhenAll(stdoutTask, stderrTask);
        while (!pumps.IsCompleted)
        {
            var progressBefore = run.Progress;
            try
            {
                await pumps.WaitAsync(_drainIdleTimeout);
                break;
            }
            catch (TimeoutException)
            {
                // Fall through to the idle check.
            }

            if (run.CallerCancelled)
            {
                await readCts.CancelAsync();
                break;
            }

            // No progress may just mean the readers' threads have not run (a starved thread pool): stop
            // only when the kernel says the pipes hold no data and no end, i.e. a descendant holds them open.
            if (!run.CallbackRunning && run.Progress == progressBefore && !PipeState.AnythingPending(pipes))
            {
                _logger.LogWarning(
                    "{Program} exited but its output stayed open with no data for {Timeout}; "
                    + "a detached descendant probably inherited it. Stopped reading",
                    programName,
                    _drainIdleTimeout);
                await readCts.CancelAsync();
                break;
            }
        }

        await pumps;
    }

    private static int GetExitCode(Process process)
    {
        try
        {
            return process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }

    /// <summary>Shared state of one run: line splitting, callback serialization, failure and progress tracking.</summary>
    private sealed class RunState(Func<ProcessOutputLine, ValueTask>? onLine, CancellationToken callerToken) : IDisposable
    {
        private readonly SemaphoreSlim _callbackGate = new(1, 1);
        private readonly CancellationTokenSource _callbackFailedCts = new();
        private ExceptionDispatchInfo? _callbackFailure;
        private long _progress;
        private int _callbacksRunning;

        public CancellationToken CallbackFailed => _callbackFailedCts.Token;

        public bool CallerCancelled => callerToken.IsCancellationRequested;

        public long Progress => Interlocked.Read(ref _progress);

        public bool CallbackRunning => Volatile.Read(ref _callbacksRunning) > 0;

        /// <summary>Reads <paramref name="reader"/> to its end, line by line (<see cref="OutputLines"/>).</summary>
        public async Task PumpAsync(StreamReader reader, ProcessStream stream, CancellationToken cancellationToken)
        {
            try
            {
                await OutputLines.SplitAsync(reader, text => EmitAsync(stream, text), () => Interlocked.Increment(ref _progress), cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Reading was abandoned (detached descendant holding the pipe) or the pipe broke.
            }
        }

        public void ThrowIfCallbackFailed() => Volatile.Read(ref _callbackFailure)?.Throw();

        public void Dispose()
        {
            _callbackGate.Dispose();
            _callbackFailedCts.Dispose();
        }

        private async ValueTask EmitAsync(ProcessStream stream, string text)
        {
            Interlocked.Increment(ref _progress);

            // Without a callback, after a callback failure or once the caller cancelled, lines are still read
            // (so the child never blocks on a full pipe) but no longer delivered.
            if (onLine is null || Volatile.Read(ref _callbackFailure) is not null || callerToken.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref _callbacksRunning);
            await _callbackGate.WaitAsync(CancellationToken.None);
            try
            {
                if (Volatile.Read(ref _callbackFailure) is null)
                {
                    await onLine(new ProcessOutputLine(stream, text));
                }
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _callbackFailure, ExceptionDispatchInfo.Capture(ex), null);
                await _callbackFailedCts.CancelAsync();
            }
            finally
            {
                _callbackGate.Release();
                Interlocked.Decrement(ref _callbacksRunning);
                Interlocked.Increment(ref _progress);
            }
        }
    }
}
