using System.Text.RegularExpressions;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Common.Processes;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Agents.Ssh;

internal enum SshFailureKind
{
    HostKeyMismatch,
    Unreachable,
}

/// <summary>ssh itself failed (exit 255 with its own log non-empty), as opposed to the remote command.</summary>
internal sealed record SshFailure(SshFailureKind Kind, string Message);

internal sealed record SshRun(ProcessResult Result, SshFailure? Failure);

/// <summary>
/// Runs ssh for one agent. The remote command arrives as one string already quoted with
/// <see cref="PosixShell"/>. When the agent's master connection runs, the session is opened on its
/// control socket (<see cref="SshMux"/>, no process); otherwise text commands start ssh through
/// <see cref="IProcessRunner"/>, byte streams through <see cref="BinaryProcess"/>, and that ssh becomes
/// the master. ssh's own messages are written to a per-call <c>-E</c> log: exit code 255
/// with a non-empty log is an ssh failure (classified and returned). 255 with an empty log is either the
/// remote command's own exit code (or its death by a signal) or a connection that died under a
/// multiplexed session, which leaves no message: a fresh <c>true</c> on the agent tells them apart.
/// </summary>
internal sealed partial class SshClient(IProcessRunner runner, SshRuntime runtime, ILogger<SshClient> logger)
{
    private const string Ssh = "ssh";
    private static readonly Dictionary<string, string?> Environment = new() { ["SSH_AUTH_SOCK"] = null, ["SSH_ASKPASS"] = null, ["DISPLAY"] = null };

    public async Task<SshRun> RunAsync(
        AgentConnection agent, string remoteCommand, Func<ProcessOutputLine, ValueTask>? onLine, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var target = await runtime.PrepareAsync(agent, cancellationToken);
        if (await TryTextOnMasterAsync(target, remoteCommand, onLine, timeout, cancellationToken) is { } muxed)
        {
            return new SshRun(muxed, await ConfirmAsync(muxed.ExitCode, target, cancellationToken));
        }

        var log = runtime.NewLogFile();
        try
        {
            var spec = new ProcessSpec(Ssh, SshCommand.Run(target, log, remoteCommand)) { Timeout = timeout, Environment = Environment };
            var result = await runner.RunAsync(spec, onLine, cancellationToken);
            return new SshRun(result, await ClassifyAsync(result.ExitCode, log, target) ?? await ConfirmAsync(result.ExitCode, target, cancellationToken));
        }
        finally
        {
            Delete(log);
        }
    }

    /// <summary>
    /// A text command on the agent's master connection, with <see cref="IProcessRunner"/>'s contract: stdin
    /// empty, stdout and stderr split into UTF-8 lines by <see cref="OutputLines"/>, one callback at a time.
    /// Null when no master answers.
    /// </summary>
    private static async Task<ProcessResult?> TryTextOnMasterAsync(
        SshTarget target, string remoteCommand, Func<ProcessOutputLine, ValueTask>? onLine, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var serial = new SemaphoreSlim(1, 1);
        async Task LinesAsync(Stream stream, ProcessStream kind, CancellationToken ct)
        {
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            await OutputLines.SplitAsync(
                reader,
                async text =>
                {
                    if (onLine is null)
                    {
                        return;
                    }

                    await serial.WaitAsync(ct);
                    try
                    {
                        await onLine(new ProcessOutputLine(kind, text));
                    }
                    finally
                    {
                        serial.Release();
                    }
                },
                cancellationToken: ct);
        }

        var result = await SshMux.TryRunAsync(
            target.ControlSocket,
            remoteCommand,
            (_, _) => Task.CompletedTask,
            (stdout, ct) => LinesAsync(stdout, ProcessStream.StandardOutput, ct),
            (stderr, ct) => LinesAsync(stderr, ProcessStream.StandardError, ct),
            timeout,
            cancellationToken);
        return result is null ? null : new ProcessResult(result.ExitCode, result.TimedOut, clock.Elapsed);
    }

    public async Task<(BinaryProcessResult Result, SshFailure? Failure)> RunBinaryAsync(
        AgentConnection agent,
        string remoteCommand,
        Func<Stream, CancellationToken, Task> writeStandardInput,
        Func<Stream, CancellationToken, Task> readStandardOutput,
        Func<Stream, CancellationToken, Task> readStandardError,
        TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var target = await runtime.PrepareAsync(agent, cancellationToken);
        if (await SshMux.TryRunAsync(target.ControlSocket, remoteCommand, writeStandardInput, readStandardOutput, readStandardError, timeout, cancellationToken) is { } muxed)
        {
            return (muxed, await ConfirmAsync(muxed.ExitCode, target, cancellationToken));
        }

        var log = runtime.NewLogFile();
        try
        {
            var result = await BinaryProcess.RunAsync(
                Ssh, SshCommand.Run(target, log, remoteCommand), writeStandardInput, readStandardOutput, readStandardError, timeout, cancellationToken);
            return (result, await ClassifyAsync(result.ExitCode, log, target) ?? await ConfirmAsync(result.ExitCode, target, cancellationToken));
        }
        finally
        {
            Delete(log);
        }
    }

    /// <summary>Closes the agent's master connection if one runs (after a change of its parameters, or its removal).</summary>
    public Task ExitMasterAsync(AgentConnection agent) => ExitMasterAsync(runtime.Target(agent).ControlSocket);

    /// <summary>Closes every master connection of this host (at shutdown).</summary>
    public async Task CloseAllAsync()
    {
        // The directory may be gone already (removed at an earlier shutdown of this runtime).
        if (runtime.HasControlDirectory && Directory.Exists(runtime.ControlDirectory))
        {
            foreach (var socket in Directory.EnumerateFiles(runtime.ControlDirectory).Where(f => Path.GetExtension(f).Length == 0))
            {
                await ExitMasterAsync(socket);
            }
        }
    }

    private async Task ExitMasterAsync(string socket)
    {
        if (!File.Exists(socket))
        {
            return;
        }

        try
        {
            // Only the control socket matters for -O exit; the destination is a placeholder.
            await runner.RunAsync(new ProcessSpec(Ssh, ["-F", "/dev/null", "-o", "ControlPath=" + socket, "-O", "exit", "albs-agent"])
            {
                Timeout = TimeSpan.FromSeconds(10),
                Environment = Environment,
            });
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Could not close the ssh master connection at {Socket}", socket);
        }
    }

    /// <summary>After a silent 255: null if the agent still answers, else why the connection was lost.</summary>
    private async Task<SshFailure?> ConfirmAsync(int exitCode, SshTarget target, CancellationToken cancellationToken)
    {
        if (exitCode != 255 || cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        var log = runtime.NewLogFile();
        try
        {
            var check = await runner.RunAsync(
                new ProcessSpec(Ssh, SshCommand.Run(target, log, "true")) { Timeout = TimeSpan.FromSeconds(30), Environment = Environment }, null, CancellationToken.None);
            if (check.ExitCode == 0)
            {
                return null;
            }

            var failure = await ClassifyAsync(check.ExitCode, log, target);
            return failure ?? new SshFailure(SshFailureKind.Unreachable, check.TimedOut ? "the connection was lost and the agent does not answer" : "the connection was lost");
        }
        finally
        {
            Delete(log);
        }
    }

    private static async Task<SshFailure?> ClassifyAsync(int exitCode, string logFile, SshTarget target)
    {
        if (exitCode != 255 || !File.Exists(logFile))
        {
            return null;
        }

        var log = (await File.ReadAllTextAsync(logFile)).Replace(target.KeyFile, "<private key>", StringComparison.Ordinal);
        if (string.IsNullOrWhiteSpace(log))
        {
            return null;
        }

        if (log.Contains("Host key verification failed", StringComparison.Ordinal)
            || log.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal))
        {
            var presented = Fingerprint().Match(log);
            var message = presented.Success
                ? $"host key mismatch: the agent presented {presented.Value}, which is not pinned"
                : "host key mismatch: the agent offers none of the pinned host keys";
            return new SshFailure(SshFailureKind.HostKeyMismatch, message);
        }

        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('@'));
        var summary = string.Join(" ", lines.TakeLast(3));
        return new SshFailure(SshFailureKind.Unreachable, summary.Length > 500 ? summary[..500] : summary);
    }

    private static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    [GeneratedRegex("SHA256:[A-Za-z0-9+/]{43}")]
    private static partial Regex Fingerprint();
}
