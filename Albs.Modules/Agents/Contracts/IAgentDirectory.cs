namespace Albs.Modules.Agents.Contracts;

/// <summary>What the scheduler needs to know about an agent.</summary>
/// <param name="Name">Unique agent name (pass it to <see cref="IAgentShell"/>).</param>
/// <param name="Arches">Architectures it builds for.</param>
/// <param name="Slots">Builds it runs at once.</param>
/// <param name="Load1">One-minute load average from the last probe, if any.</param>
/// <param name="State">One of <see cref="AgentStates"/>.</param>
/// <param name="Enabled">False when a superuser disabled it.</param>
/// <param name="Maintenance">True while in maintenance.</param>
/// <param name="LastSeenAt">When a probe last reached it (UTC).</param>
/// <param name="LastError">Why it is offline or mismatched, if it is.</param>
/// <param name="WorkDirectory">Root of its build work (relative paths start in the login user's home).</param>
public sealed record AgentInfo(
    string Name,
    IReadOnlyList<string> Arches,
    int Slots,
    double? Load1,
    string State,
    bool Enabled,
    bool Maintenance,
    DateTime? LastSeenAt,
    string? LastError,
    string WorkDirectory)
{
    /// <summary>Enabled, not in maintenance, and online: the scheduler may place work on it.</summary>
    public bool IsUsable => Enabled && !Maintenance && State == AgentStates.Online;
}

/// <summary>
/// The agents as the build scheduler sees them. Health comes from a periodic probe
/// (<c>Agents:ProbeInterval</c>) and from failures reported by <see cref="IAgentShell"/> and by callers.
/// </summary>
public interface IAgentDirectory
{
    /// <summary>Agents the scheduler may use now (<see cref="AgentInfo.IsUsable"/>), by name.</summary>
    Task<IReadOnlyList<AgentInfo>> ListUsableAsync(CancellationToken cancellationToken = default);

    /// <summary>Every registered agent, by name.</summary>
    Task<IReadOnlyList<AgentInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>One agent, or null.</summary>
    Task<AgentInfo?> FindAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reports that the agent failed (e.g. a build lost its connection): it is marked offline with
    /// <paramref name="reason"/> until the next successful probe, which is requested at once.
    /// An agent in <see cref="AgentStates.HostKeyMismatch"/> stays so. Unknown names are ignored.
    /// </summary>
    Task ReportFailureAsync(string name, string reason, CancellationToken cancellationToken = default);
}

/// <summary>
/// Published (through the outbox) when an agent's state changes, e.g. online → offline; the
/// scheduler may react by re-queuing work that was running there.
/// </summary>
/// <param name="Name">The agent.</param>
/// <param name="PreviousState">The state before.</param>
/// <param name="State">The new state.</param>
/// <param name="Error">Why, when the new state is not online.</param>
public sealed record AgentStateChangedEvent(string Name, string PreviousState, string State, string? Error);
