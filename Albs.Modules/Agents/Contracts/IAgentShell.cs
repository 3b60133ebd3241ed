using Albs.Modules.Common.Processes;

namespace Albs.Modules.Agents.Contracts;

/// <summary>
/// Runs commands on, and copies files to and from, a registered build agent over SSH. Every call
/// uses the agent's pinned host key (strict checking, never trust-on-first-use), its own key, and a
/// multiplexed connection (one SSH master per agent, kept 60 s after the last use).
/// </summary>
/// <remarks>
/// <para>
/// Connection-level failures are exceptions, never exit codes: <see cref="AgentHostKeyMismatchException"/>
/// (the agent is marked <see cref="AgentStates.HostKeyMismatch"/> and refused until re-pinned) and
/// <see cref="AgentUnreachableException"/> (marked <see cref="AgentStates.Offline"/>). The exit code of a
/// command that ran — including 255 — is returned as is.
/// </para>
/// <para>
/// Timeouts and cancellation kill the local ssh client; without a terminal the remote command is not
/// signalled and ends when it next writes to its closed output. Commands that must stop on the agent
/// should be wrapped in <c>timeout</c> there.
/// </para>
/// </remarks>
public interface IAgentShell
{
    /// <summary>
    /// Runs <paramref name="remoteArgv"/> on the agent. The arguments are quoted with
    /// <see cref="PosixShell.Join"/> into the one command string the remote login shell reads, so each
    /// reaches the remote program verbatim (no expansion, no word splitting).
    /// </summary>
    /// <param name="agentName">A registered agent.</param>
    /// <param name="remoteArgv">Program and arguments, e.g. <c>["mock", "-r", cfg, "--", srpm]</c>.</param>
    /// <param name="onLine">Receives each line of the remote stdout/stderr as it arrives.</param>
    /// <param name="timeout">Kills the local ssh client after this long (reported in <see cref="ProcessResult.TimedOut"/>).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The remote command's exit code.</returns>
    /// <exception cref="AgentNotFoundException">No such agent.</exception>
    /// <exception cref="AgentHostKeyMismatchException">The host key does not match the pinned one.</exception>
    /// <exception cref="AgentUnreachableException">SSH could not connect or authenticate.</exception>
    Task<ProcessResult> RunAsync(
        string agentName,
        IReadOnlyList<string> remoteArgv,
        Func<ProcessOutputLine, ValueTask>? onLine = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a small, constant POSIX <paramref name="script"/> with <paramref name="arguments"/> as
    /// <c>$1…$n</c>: the remote command is <c>sh -c '&lt;script&gt;' sh '&lt;arg1&gt;' …</c>, everything quoted.
    /// The script must be a constant of the caller's code; values belong in the arguments.
    /// </summary>
    /// <inheritdoc cref="RunAsync" path="/exception"/>
    Task<ProcessResult> RunScriptAsync(
        string agentName,
        string script,
        IReadOnlyList<string> arguments,
        Func<ProcessOutputLine, ValueTask>? onLine = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a constant script as <see cref="RunScriptAsync"/> does, in one ssh session that carries data both ways:
    /// <paramref name="writeInput"/> writes the script's stdin (closed when it returns), <paramref name="readOutput"/>
    /// reads its stdout as raw bytes, and its stderr arrives line by line in <paramref name="onErrorLine"/>. A task
    /// sends its inputs, streams its log and gets its results back in this one round trip.
    /// </summary>
    /// <returns>The remote command's exit code (and whether the timeout elapsed).</returns>
    /// <inheritdoc cref="RunAsync" path="/exception"/>
    Task<ProcessResult> RunScriptWithStreamsAsync(
        string agentName,
        string script,
        IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task> writeInput,
        Func<Stream, CancellationToken, Task> readOutput,
        Func<ProcessOutputLine, ValueTask>? onErrorLine = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default);
}
