using System.Security.Claims;
using Albs.Modules.Identity.Contracts;

namespace Albs.Modules.Agents.Contracts;

/// <summary>The host keys an agent offered to <c>ssh-keyscan</c>, for a superuser to compare and confirm.</summary>
/// <param name="Lines">The keys as known_hosts lines (post them back as <see cref="RegisterAgentRequest.HostKey"/>).</param>
/// <param name="Fingerprints">Their SHA-256 fingerprints, as <c>ssh-keygen -lf</c> prints them on the agent.</param>
public sealed record ScannedHostKeysDto(IReadOnlyList<string> Lines, IReadOnlyList<string> Fingerprints);

/// <summary>
/// The value of a registration: the agent when it was registered (status 201), or, with status 409 and
/// nothing registered, the host keys to confirm because the request had no <see cref="RegisterAgentRequest.HostKey"/>.
/// </summary>
public sealed record AgentRegistrationDto(AgentResponse? Agent, ScannedHostKeysDto? HostKeysToConfirm = null);

/// <summary>
/// Registering, changing and removing build agents, for the API and the admin pages alike: one
/// implementation, so both check <see cref="AgentPermissions.Manage"/> (superusers), validate the same
/// way and write the same audit entries (<c>agent.register</c>, <c>agent.update</c>, <c>agent.delete</c>).
/// Errors of 400 results are keyed by the JSON field (<c>host</c>, <c>hostKey</c>, <c>slots</c>).
/// </summary>
public interface IAgentAdministration
{
    /// <summary>
    /// Every agent, by name, never key material; how to reach each and its last error only when
    /// <paramref name="viewer"/> manages agents (<see cref="AgentResponse.Public"/> otherwise).
    /// </summary>
    Task<IReadOnlyList<AgentResponse>> ListAsync(ClaimsPrincipal viewer, CancellationToken cancellationToken = default);

    /// <summary>One agent as <see cref="ListAsync"/> shows it to <paramref name="viewer"/>, or null.</summary>
    Task<AgentResponse?> FindAsync(ClaimsPrincipal viewer, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers an agent: 201 with it; 400 with field errors; 409 with <see cref="AgentRegistrationDto.HostKeysToConfirm"/>
    /// when no host key was given (nothing registered); 409 without a value when the name is taken; 401/403.
    /// </summary>
    Task<CommandResult<AgentRegistrationDto>> RegisterAsync(ClaimsPrincipal actor, RegisterAgentRequest request, CancellationToken cancellationToken = default);

    /// <summary>Changes the given fields only: 200 with the agent, 400, 404, 401/403.</summary>
    Task<CommandResult<AgentResponse>> UpdateAsync(ClaimsPrincipal actor, string name, UpdateAgentRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes an agent and closes its connection: 200 with what it was, 404, 401/403.</summary>
    Task<CommandResult<AgentResponse>> DeleteAsync(ClaimsPrincipal actor, string name, CancellationToken cancellationToken = default);
}
