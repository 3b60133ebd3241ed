using System.Security.Claims;

namespace Albs.Modules.Identity.Contracts;

/// <summary>A team: people with roles, owning products.</summary>
public sealed record TeamDto(long Id, string Name, string? Description, DateTime CreatedAt, IReadOnlyList<string> Products, int Members);

/// <summary>A member of a team and their roles (lower-case words).</summary>
public sealed record TeamMemberDto(string UserName, IReadOnlyList<string> Roles);

/// <summary>
/// A product: what builds, sign keys, repositories and releases belong to. The distribution's own
/// products and community products (like COPR projects) alike; any team can own some.
/// </summary>
public sealed record ProductDto(long Id, string Name, string Title, string? Description, long TeamId, string Team, bool IsCommunity, DateTime CreatedAt);

/// <summary>Body of <c>POST /api/v1/teams</c>.</summary>
public sealed record CreateTeamRequest(string? Name, string? Description = null);

/// <summary>Body of <c>PUT /api/v1/teams/{team}/members/{user}</c>: the member's roles, replacing what they had.</summary>
public sealed record SetMemberRolesRequest(IReadOnlyList<string>? Roles);

/// <summary>Body of <c>POST /api/v1/products</c>.</summary>
public sealed record CreateProductRequest(string? Name, string? Team, string? Title = null, string? Description = null, bool IsCommunity = true);

/// <summary>Body of <c>PUT /api/v1/products/{name}</c>; absent fields stay as they are. Moving to another team needs manager in both.</summary>
public sealed record UpdateProductRequest(string? Title = null, string? Description = null, string? Team = null, bool? IsCommunity = null);

/// <summary>
/// The outcome of an administrative command: a value, or a status (400, 401, 403, 404, 409) with a message
/// and, for 400, per-field errors. Endpoints turn it into problem details, pages into a message.
/// </summary>
public sealed record CommandResult<T>(T? Value, int StatusCode, string? Error = null, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}

/// <summary>Makers of <see cref="CommandResult{T}"/>.</summary>
public static class CommandResult
{
    public static CommandResult<T> Ok<T>(T value) => new(value, 200);

    public static CommandResult<T> Invalid<T>(string field, string message) => new(default, 400, message, new Dictionary<string, string[]> { [field] = [message] });

    public static CommandResult<T> Fail<T>(int statusCode, string message) => new(default, statusCode, message);

    public static CommandResult<T> Denied<T>(AccessResult access) => new(default, access.StatusCode, access.Reason);
}

/// <summary>Products, for every module (builds name their product) and for pages.</summary>
public interface IProductDirectory
{
    /// <summary>The product with this name (ignoring case), or null.</summary>
    Task<ProductDto?> FindAsync(string name, CancellationToken cancellationToken = default);

    Task<ProductDto?> FindByIdAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Every product, by name; only those of <paramref name="team"/> when given.</summary>
    Task<IReadOnlyList<ProductDto>> ListAsync(string? team = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// Teams, memberships and products. Every command checks the actor's permission itself, so the API
/// and the pages cannot differ, and writes the audit log.
/// </summary>
public interface ITeamAdministration
{
    Task<IReadOnlyList<TeamDto>> ListTeamsAsync(CancellationToken cancellationToken = default);

    Task<TeamDto?> FindTeamAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Members and roles: visible to the team's members and superusers.</summary>
    Task<CommandResult<IReadOnlyList<TeamMemberDto>>> ListMembersAsync(ClaimsPrincipal actor, string team, CancellationToken cancellationToken = default);

    /// <summary>Any signed-in user may create a team; they become its manager.</summary>
    Task<CommandResult<TeamDto>> CreateTeamAsync(ClaimsPrincipal actor, CreateTeamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Sets a user's roles in a team (an empty list removes them). Managers and superusers. A team keeps at least one manager.</summary>
    Task<CommandResult<TeamMemberDto>> SetMemberRolesAsync(ClaimsPrincipal actor, string team, string userName, SetMemberRolesRequest request, CancellationToken cancellationToken = default);

    /// <summary>Creates a product for a team the actor manages.</summary>
    Task<CommandResult<ProductDto>> CreateProductAsync(ClaimsPrincipal actor, CreateProductRequest request, CancellationToken cancellationToken = default);

    Task<CommandResult<ProductDto>> UpdateProductAsync(ClaimsPrincipal actor, string product, UpdateProductRequest request, CancellationToken cancellationToken = default);

    /// <summary>The teams the user belongs to and their roles there.</summary>
    Task<IReadOnlyList<UserTeamDto>> TeamsOfAsync(string userId, CancellationToken cancellationToken = default);
}

/// <summary>A user's membership in one team.</summary>
public sealed record UserTeamDto(string Team, IReadOnlyList<string> Roles);

/// <summary>Permissions declared by Identity itself.</summary>
public static class IdentityPermissions
{
    public static readonly PermissionDefinition CreateTeam = new("teams.create", "Create a team (its creator becomes its manager)", PermissionScope.Self, []);

    public static readonly PermissionDefinition ManageTeam = new("teams.manage", "Add and remove team members and set their roles", PermissionScope.Team, [TeamRole.Manager]);

    public static readonly PermissionDefinition ReadTeam = new("teams.read", "See a team's members and roles", PermissionScope.Team, [TeamRole.Manager, TeamRole.Contributor, TeamRole.Observer, TeamRole.Maintainer, TeamRole.Signer]);

    public static readonly PermissionDefinition ManageProducts = new("products.manage", "Create and edit the team's products", PermissionScope.Team, [TeamRole.Manager]);

    public static readonly PermissionDefinition OwnTokens = new("tokens.own", "Create, list and revoke one's own API tokens", PermissionScope.Self, []);

    public static readonly PermissionDefinition AdministerUsers = new("users.administer", "Create, disable and promote users; see all tokens; read the audit log", PermissionScope.System, []);

    public static IReadOnlyList<PermissionDefinition> All { get; } = [CreateTeam, ManageTeam, ReadTeam, ManageProducts, OwnTokens, AdministerUsers];
}
