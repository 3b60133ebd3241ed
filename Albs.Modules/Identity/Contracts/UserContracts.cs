using System.Security.Claims;

namespace Albs.Modules.Identity.Contracts;

/// <summary>A user as administrators see it (never a password hash).</summary>
public sealed record UserDto(
    string Id,
    string UserName,
    string? Email,
    bool IsSuperuser,
    bool IsDisabled,
    DateTime CreatedAt,
    IReadOnlyList<string> ExternalLogins,
    IReadOnlyList<UserTeamDto> Teams);

/// <summary>Body of <c>POST /api/v1/users</c>: a local account.</summary>
public sealed record CreateUserRequest(string? UserName, string? Password, string? Email = null, bool IsSuperuser = false);

/// <summary>Body of <c>PUT /api/v1/users/{name}</c>; absent fields stay as they are.</summary>
public sealed record UpdateUserRequest(bool? IsDisabled = null, bool? IsSuperuser = null, string? Email = null);

/// <summary>A page of users.</summary>
public sealed record UserListResponse(IReadOnlyList<UserDto> Items, int Page, int PageSize, int Total);

/// <summary>User administration: superusers only; checks the actor itself and writes the audit log.</summary>
public interface IUserAdministration
{
    /// <summary>Users whose name or e-mail contains <paramref name="search"/> (ignoring case), by name.</summary>
    Task<CommandResult<UserListResponse>> SearchAsync(ClaimsPrincipal actor, string? search, int page, int pageSize, CancellationToken cancellationToken = default);

    Task<CommandResult<UserDto>> GetAsync(ClaimsPrincipal actor, string userName, CancellationToken cancellationToken = default);

    Task<CommandResult<UserDto>> CreateAsync(ClaimsPrincipal actor, CreateUserRequest request, CancellationToken cancellationToken = default);

    /// <summary>Disables (no sign-in, tokens refused, sessions ended) or enables, grants or takes superuser. Nobody disables or demotes themselves.</summary>
    Task<CommandResult<UserDto>> UpdateAsync(ClaimsPrincipal actor, string userName, UpdateUserRequest request, CancellationToken cancellationToken = default);
}

/// <summary>One line of the audit log.</summary>
/// <param name="Id">Its place in the log.</param>
/// <param name="At">When (UTC).</param>
/// <param name="ActorId">The user's id, or null for the system.</param>
/// <param name="Actor">The user's name, or "system".</param>
/// <param name="Action">Dotted: <c>team.member.roles</c>, <c>build.cancel</c>.</param>
/// <param name="ObjectType">What kind of object: <c>team</c>, <c>build</c>, <c>user</c>.</param>
/// <param name="ObjectId">Which one (name or id).</param>
/// <param name="Details">JSON with the specifics (old and new roles, reason).</param>
/// <param name="RemoteAddress">Where the request came from.</param>
public sealed record AuditEntryDto(long Id, DateTime At, string? ActorId, string Actor, string Action, string ObjectType, string ObjectId, string? Details, string? RemoteAddress);

/// <summary>Filters of <c>GET /api/v1/audit</c>; every one optional.</summary>
public sealed record AuditQuery(string? Actor = null, string? Action = null, string? ObjectType = null, string? ObjectId = null, DateTime? Since = null, DateTime? Until = null, int Page = 1, int PageSize = 50);

/// <summary>A page of audit entries, newest first.</summary>
public sealed record AuditListResponse(IReadOnlyList<AuditEntryDto> Items, int Page, int PageSize, int Total);

/// <summary>
/// The audit log: every privileged action, who, what, which object, when, from where. Append-only
/// from the application's side (updates and deletes are refused by the database).
/// </summary>
public interface IAuditLog
{
    /// <summary>
    /// Adds an entry for the current request's user and address to the scoped database context
    /// and saves it, with whatever the caller has pending, in one transaction.
    /// </summary>
    Task RecordAsync(string action, string objectType, string objectId, object? details = null, CancellationToken cancellationToken = default);

    /// <summary>Superusers only.</summary>
    Task<CommandResult<AuditListResponse>> SearchAsync(ClaimsPrincipal actor, AuditQuery query, CancellationToken cancellationToken = default);
}
