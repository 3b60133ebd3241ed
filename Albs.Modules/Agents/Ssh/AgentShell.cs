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
            async (stderr, ct) =>
            {
                using var reader = new StreamReader(stderr, System.Text.Encoding.UTF8);
                await OutputLines.SplitAsync(
                    reader, text => onErrorLine is null ? ValueTask.CompletedTask : onErrorLine(new ProcessOutputLine(ProcessStream.StandardError, text)), cancellationToken: ct);
            },
            timeout,
            cancellationToken);
        await CheckAsync(agent, failure, cancellationToken);
        return new ProcessResult(result.ExitCode, result.TimedOut, clock.Elapsed);
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
}
