using System.Security.Cryptography;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Health;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Common.Processes;

namespace Albs.Modules.Agents.Ssh;

/// <summary>
/// <see cref="IAgentShell"/> over <see cref="SshClient"/>: reads the agent fresh from the database on
/// every call (so a re-pin or a mismatch seen by another host applies at once), refuses agents in
/// <see cref="AgentStates.HostKeyMismatch"/>, and records ssh failures in the agent's state.
/// </summary>
internal sealed class AgentShell(AgentStateStore store, SshClient ssh, AgentProbeSignal probe) : IAgentShell
{
    // Receives into a temporary name; the file appears under its real name only in the commit step.
    private const string ReceiveScript = "set -e\nmkdir -p -- \"$(dirname -- \"$1\")\"\ncat > \"$1\"";

    private const string CommitScript =
        "set -e\nsize=$(wc -c < \"$1\" | tr -d ' ')\n" +
        "if [ \"$size\" != \"$3\" ]; then rm -f -- \"$1\"; echo \"albs: $size of $3 bytes arrived\" >&2; exit 3; fi\n" +
        "mv -f -- \"$1\" \"$2\"";

    private const string DiscardScript = "rm -f -- \"$1\"";

    // A file of known length in one round trip: received under a temporary name, checked, put in place.
    // A transfer cut short ends cat early, the size check fails and the partial file is removed.
    private const string ReceiveAndCommitScript =
        "set -e\nmkdir -p -- \"$(dirname -- \"$2\")\"\ncat > \"$1\"\n" +
        "size=$(wc -c < \"$1\" | tr -d ' ')\n" +
        "if [ \"$size\" != \"$3\" ]; then rm -f -- \"$1\"; echo \"albs: $size of $3 bytes arrived\" >&2; exit 3; fi\n" +
        "mv -f -- \"$1\" \"$2\"";

    public async Task<ProcessResult> RunAsync(
        string agentName,
        IReadOnlyList<string> remoteArgv,
        Func<ProcessOutputLine, ValueTask>? onLine = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteArgv);
        ArgumentOutOfRangeException.ThrowIfZero(remoteArgv.Count, nameof(remoteArgv));
        var command = PosixShell.Join(remoteArgv);
        var agent = await UsableAsync(agentName, cancellationToken);
        var run = await ssh.RunAsync(agent, command, onLine, timeout, cancellationToken);
        await CheckAsync(agent, run.Failure, cancellationToken);
        return run.Result;
    }

    public Task<ProcessResult> RunScriptAsync(
        string agentName,
        string script,
        IReadOnlyList<string> arguments,
        Func<ProcessOutputLine, ValueTask>? onLine = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(script);
        ArgumentNullException.ThrowIfNull(arguments);
        return RunAsync(agentName, ["sh", "-c", script, "sh", .. arguments], onLine, timeout, cancellationToken);
    }

    public async Task<ProcessResult> RunScriptWithStreamsAsync(
        string agentName,
        string script,
        IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task> writeInput,
        Func<Stream, CancellationToken, Task> readOutput,
        Func<ProcessOutputLine, ValueTask>? onErrorLine = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(script);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(writeInput);
        ArgumentNullException.ThrowIfNull(readOutput);
        var agent = await UsableAsync(agentName, cancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (result, failure) = await ssh.RunBinaryAsync(
            agent,
            PosixShell.Join(["sh", "-c", script, "sh", .. arguments]),
            writeInput,
            readOutput,
            timeout,
            cancellationToken,
            async (stderr, ct) =>
            {
                using var reader = new StreamReader(stderr, System.Text.Encoding.UTF8);
                await OutputLines.SplitAsync(
                    reader, text => onErrorLine is null ? ValueTask.CompletedTask : onErrorLine(new ProcessOutputLine(ProcessStream.StandardError, text)), cancellationToken: ct);
            });
        await CheckAsync(agent, failure, cancellationToken);
        return new ProcessResult(result.ExitCode, result.TimedOut, clock.Elapsed);
    }

    public async Task<long> UploadAsync(string agentName, Stream content, string remotePath, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrEmpty(remotePath);
        var agent = await UsableAsync(agentName, cancellationToken);
        var partial = $"{remotePath}.albs-part-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        long sent = 0;
        var (result, failure) = await ssh.RunBinaryAsync(
            agent,
            PosixShell.Join(["sh", "-c", ReceiveScript, "sh", partial]),
            async (stdin, ct) => sent = await CopyAsync(content, stdin, ct),
            readStandardOutput: null,
            timeout,
            cancellationToken);
        await CheckAsync(agent, failure, cancellationToken);
        if (result.ExitCode != 0 || result.TimedOut)
        {
            await DiscardAsync(agentName, partial);
            throw Transfer(agentName, $"upload to {remotePath} failed", result);
        }

        var commit = await RunAsync(agentName, ["sh", "-c", CommitScript, "sh", partial, remotePath, sent.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: timeout, cancellationToken: cancellationToken);
        if (!commit.Succeeded)
        {
            throw new AgentTransferException(agentName, $"upload to {remotePath} on agent '{agentName}' failed: the file could not be put in place (exit code {commit.ExitCode}).");
        }

        return sent;
    }

    public async Task<long> UploadFileAsync(string agentName, string localPath, string remotePath, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(remotePath);
        await using var file = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var length = file.Length;
        var agent = await UsableAsync(agentName, cancellationToken);
        var partial = $"{remotePath}.albs-part-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        long sent = 0;
        var (result, failure) = await ssh.RunBinaryAsync(
            agent,
            PosixShell.Join(["sh", "-c", ReceiveAndCommitScript, "sh", partial, remotePath, length.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
            async (stdin, ct) => sent = await CopyAsync(file, stdin, ct),
            readStandardOutput: null,
            timeout,
            cancellationToken);
        await CheckAsync(agent, failure, cancellationToken);
        if (result.ExitCode != 0 || result.TimedOut || sent != length)
        {
            await DiscardAsync(agentName, partial);
            throw Transfer(agentName, $"upload to {remotePath} failed", result);
        }

        return sent;
    }

    public async Task<long> DownloadAsync(string agentName, string remotePath, Stream destination, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentException.ThrowIfNullOrEmpty(remotePath);
        var agent = await UsableAsync(agentName, cancellationToken);
        long received = 0;
        var (result, failure) = await ssh.RunBinaryAsync(
            agent,
            PosixShell.Join(["cat", "--", remotePath]),
            writeStandardInput: null,
            async (stdout, ct) => received = await CopyAsync(stdout, destination, ct),
            timeout,
            cancellationToken);
        await CheckAsync(agent, failure, cancellationToken);
        if (result.ExitCode != 0 || result.TimedOut)
        {
            throw Transfer(agentName, $"download of {remotePath} failed", result);
        }

        return received;
    }

    public async Task<long> DownloadFileAsync(string agentName, string remotePath, string localPath, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var partial = $"{localPath}.albs-part-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            long received;
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                received = await DownloadAsync(agentName, remotePath, file, timeout, cancellationToken);
            }

            File.Move(partial, localPath, overwrite: true);
            return received;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private async Task DiscardAsync(string agentName, string partial)
    {
        try
        {
            await RunScriptAsync(agentName, DiscardScript, [partial], timeout: TimeSpan.FromSeconds(30));
        }
        catch (AgentException)
        {
            // The transfer error that follows says what went wrong; a leftover .albs-part file is harmless.
        }
    }

    private async Task<AgentConnection> UsableAsync(string agentName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentName);
        var agent = await store.FindAsync(agentName, cancellationToken)
            ?? throw new AgentNotFoundException(agentName, $"No agent is named '{agentName}'.");
        if (agent.State == AgentStates.HostKeyMismatch)
        {
            throw Mismatch(agentName, "its host key did not match the pinned one");
        }

        return agent;
    }

    /// <summary>Records the outcome of an ssh run in the agent's state; throws for ssh failures.</summary>
    private async Task CheckAsync(AgentConnection agent, SshFailure? failure, CancellationToken cancellationToken)
    {
        switch (failure?.Kind)
        {
            case null when agent.State != AgentStates.Online:
                await store.RecordAsync(agent, AgentStates.Online, null, null, CancellationToken.None);
                return;
            case null:
                return;
            case SshFailureKind.HostKeyMismatch:
                await store.RecordAsync(agent, AgentStates.HostKeyMismatch, failure.Message, null, CancellationToken.None);
                throw Mismatch(agent.Name, failure.Message);
            default:
                cancellationToken.ThrowIfCancellationRequested();
                await store.RecordAsync(agent, AgentStates.Offline, failure.Message, null, CancellationToken.None);
                probe.Request();
                throw new AgentUnreachableException(agent.Name, $"Agent '{agent.Name}' is unreachable: {failure.Message}");
        }
    }

    private static AgentHostKeyMismatchException Mismatch(string agentName, string detail) =>
        new(agentName, $"Agent '{agentName}' is refused: {detail}. Nothing runs on it until a superuser verifies the agent and pins its new host key (PUT /api/v1/agents/{agentName} with \"hostKey\").");

    private static AgentTransferException Transfer(string agentName, string what, BinaryProcessResult result)
    {
        var stderr = result.StandardError.Trim();
        var detail = result.TimedOut ? "timed out" : $"exit code {result.ExitCode}";
        return new AgentTransferException(agentName, $"On agent '{agentName}', {what} ({detail}){(stderr.Length > 0 ? ": " + (stderr.Length > 500 ? stderr[..500] : stderr) : "")}");
    }

    private static async Task<long> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            total += read;
        }

        await destination.FlushAsync(cancellationToken);
        return total;
    }
}
