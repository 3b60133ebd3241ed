namespace Albs.Modules.Agents.Contracts;

/// <summary>The health states of a build agent.</summary>
public static class AgentStates
{
    /// <summary>The last probe (or command) reached the agent.</summary>
    public const string Online = "online";

    /// <summary>Not reached yet, or the last probe or command could not connect.</summary>
    public const string Offline = "offline";

    /// <summary>
    /// The agent presented a host key that is not pinned. Nothing runs on it until a superuser pins
    /// the new key (<c>PUT /api/v1/agents/{name}</c> with <c>hostKey</c>); the probe leaves it alone.
    /// </summary>
    public const string HostKeyMismatch = "host-key-mismatch";
}

/// <summary>The architectures an agent can build for.</summary>
public static class AgentArches
{
    /// <summary>Every architecture name Albs accepts.</summary>
    public static IReadOnlyList<string> All { get; } = ["x86_64", "aarch64", "ppc64le", "s390x", "i686", "noarch"];
}

/// <summary>
/// Body of <c>POST /api/v1/agents</c>. Exactly one of <see cref="PrivateKey"/> (stored encrypted)
/// and <see cref="PrivateKeyPath"/> (a file on the Albs server) is required. Without
/// <see cref="HostKey"/> nothing is registered: the server scans the agent's host keys and answers
/// 409 with them, to be confirmed by posting again with <see cref="HostKey"/> set.
/// </summary>
/// <param name="Name">Unique name, <c>^[a-z0-9][a-z0-9._-]{0,62}$</c>.</param>
/// <param name="Host">Host name or IP address of the agent.</param>
/// <param name="Port">SSH port, default 22.</param>
/// <param name="User">Login user on the agent.</param>
/// <param name="PrivateKey">Unencrypted OpenSSH/PEM private key text.</param>
/// <param name="PrivateKeyPath">Absolute path of a private key file on the Albs server.</param>
/// <param name="HostKey">Pinned host key(s), known_hosts lines (<c>host type base64</c> or <c>type base64</c>).</param>
/// <param name="Arches">Architectures the agent builds for.</param>
/// <param name="Slots">Builds it runs at once, 1–64 (default 1).</param>
/// <param name="WorkDirectory">Root of the agent's build work; relative paths start in the user's home (default <c>albs</c>).</param>
/// <param name="Enabled">Whether the scheduler may use it (default true).</param>
/// <param name="Maintenance">In maintenance the scheduler skips it (default false).</param>
public sealed record RegisterAgentRequest(
    string? Name,
    string? Host,
    int? Port,
    string? User,
    string? PrivateKey,
    string? PrivateKeyPath,
    string? HostKey,
    IReadOnlyList<string>? Arches,
    int? Slots,
    string? WorkDirectory = null,
    bool? Enabled = null,
    bool? Maintenance = null);

/// <summary>
/// Body of <c>PUT /api/v1/agents/{name}</c>: every field is optional and only the given ones change.
/// Setting <see cref="HostKey"/> re-pins the host key (and clears <see cref="AgentStates.HostKeyMismatch"/>);
/// setting <see cref="PrivateKey"/> or <see cref="PrivateKeyPath"/> replaces the key (the other source is dropped).
/// </summary>
public sealed record UpdateAgentRequest(
    string? Host = null,
    int? Port = null,
    string? User = null,
    string? PrivateKey = null,
    string? PrivateKeyPath = null,
    string? HostKey = null,
    IReadOnlyList<string>? Arches = null,
    int? Slots = null,
    string? WorkDirectory = null,
    bool? Enabled = null,
    bool? Maintenance = null);

/// <summary>
/// An agent as the API shows it: operational facts, never key material. How to reach it
/// (<see cref="Host"/>, <see cref="Port"/>, <see cref="User"/>, <see cref="WorkDirectory"/>) and the
/// last error (an ssh error names host and port) are shown to those who manage agents only; for
/// everyone else they are null.
/// </summary>
public sealed record AgentResponse(
    string Name,
    string? Host,
    int? Port,
    string? User,
    IReadOnlyList<string> Arches,
    int Slots,
    bool Enabled,
    bool Maintenance,
    string State,
    DateTime? LastSeenAt,
    double? Load,
    string? LastError,
    IReadOnlyList<string> HostKeyFingerprints,
    string? WorkDirectory,
    DateTime CreatedAt)
{
    /// <summary>The agent without how to reach it and without its last error, for those who do not manage agents.</summary>
    public AgentResponse Public() => this with { Host = null, Port = null, User = null, WorkDirectory = null, LastError = null };

    /// <summary>The tasks running on the agent now (filled by the list and the read of one agent; empty elsewhere).</summary>
    public IReadOnlyList<AgentTaskResponse> CurrentTasks { get; init; } = [];
}

/// <summary>A task running on an agent now.</summary>
/// <param name="BuildId">Its build.</param>
/// <param name="TaskId">The task.</param>
/// <param name="Package">Its source's package.</param>
/// <param name="Platform">Its platform.</param>
/// <param name="Arch">Its architecture (<c>src</c> for an SRPM).</param>
/// <param name="StartedAt">When it started on the agent (UTC).</param>
public sealed record AgentTaskResponse(long BuildId, long TaskId, string? Package, string Platform, string Arch, DateTime? StartedAt);

/// <summary>
/// What runs on the agents now. Declared here so that the agents' read model can show it; implemented
/// by the module that places work on agents (Builds). Without an implementation agents show no tasks.
/// </summary>
public interface IAgentWorkload
{
    /// <summary>The running tasks by agent name, oldest first; agents running nothing are absent.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<AgentTaskResponse>>> CurrentTasksAsync(CancellationToken cancellationToken = default);
}
