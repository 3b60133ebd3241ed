using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Modules.Identity.Contracts;

/// <summary>The roles a user can hold in a team (several at once).</summary>
public enum TeamRole
{
    /// <summary>Team administration (members, roles, products) and every build action.</summary>
    Manager,

    /// <summary>Creates, cancels and restarts builds of the team's products.</summary>
    Contributor,

    /// <summary>Reads what is private to the team.</summary>
    Observer,

    /// <summary>Releases, reverts releases and publishes errata of the team's products.</summary>
    Maintainer,

    /// <summary>Signs with the team's products' keys.</summary>
    Signer,
}

/// <summary>The lower-case words the API uses for <see cref="TeamRole"/>.</summary>
public static class TeamRoles
{
    public static string ToWord(this TeamRole role) => role.ToString().ToLowerInvariant();

    /// <summary>The role named by <paramref name="word"/> (ignoring case), or null.</summary>
    public static TeamRole? Parse(string? word) =>
        Enum.TryParse<TeamRole>(word, ignoreCase: true, out var role) && Enum.IsDefined(role) && !int.TryParse(word, out _) ? role : null;

    public static IReadOnlyList<string> Words { get; } = [.. Enum.GetValues<TeamRole>().Select(r => r.ToWord())];
}

/// <summary>What a permission is checked against.</summary>
public enum PermissionScope
{
    /// <summary>A product: granted by a role in the team that owns the product.</summary>
    Product,

    /// <summary>A team: granted by a role in that team.</summary>
    Team,

    /// <summary>Granted by a granting role in any team (e.g. uploading to the shared lookaside).</summary>
    AnyTeam,

    /// <summary>Any signed-in user, about their own things (own tokens, creating a team).</summary>
    Self,

    /// <summary>Superusers only (platforms, agents, users).</summary>
    System,
}

/// <summary>
/// A permission, declared by the module that owns the action in its <c>Contracts/</c> and
/// registered with <see cref="PermissionRegistration.AddPermissions"/>; Identity collects them.
/// Superusers hold every permission.
/// </summary>
/// <param name="Name">Dotted, lower-case: <c>builds.cancel</c>.</param>
/// <param name="Description">What it allows, for people.</param>
/// <param name="Scope">What it is checked against.</param>
/// <param name="GrantedTo">Team roles that grant it (empty for <see cref="PermissionScope.System"/> and <see cref="PermissionScope.Self"/>).</param>
public sealed record PermissionDefinition(string Name, string Description, PermissionScope Scope, IReadOnlyList<TeamRole> GrantedTo);

/// <summary>The verdict of an access check.</summary>
/// <param name="StatusCode">200 when allowed, 401 for anonymous callers, 403 otherwise.</param>
/// <param name="Reason">Why not, in words for the caller.</param>
public sealed record AccessResult(int StatusCode, string? Reason)
{
    public static AccessResult Allowed { get; } = new(StatusCodes.Status200OK, null);

    public bool IsAllowed => StatusCode == StatusCodes.Status200OK;

    /// <summary>A problem-details result for a denied check.</summary>
    public IResult ToProblem() => Results.Problem(title: StatusCode == StatusCodes.Status401Unauthorized ? "Sign in first." : "Not allowed.", detail: Reason, statusCode: StatusCode);
}

/// <summary>Resource-based authorization: may this caller do this action on this product/team.</summary>
public interface IAccessControl
{
    /// <summary>
    /// Checks <paramref name="permission"/> for <paramref name="user"/>; <paramref name="resourceId"/> is the
    /// product id (<see cref="PermissionScope.Product"/>) or team id (<see cref="PermissionScope.Team"/>), else ignored.
    /// A token limited to one product is refused everything outside that product.
    /// </summary>
    Task<AccessResult> CheckAsync(ClaimsPrincipal user, PermissionDefinition permission, long? resourceId, CancellationToken cancellationToken = default);

    /// <summary>Every permission the modules declared, by name.</summary>
    IReadOnlyList<PermissionDefinition> Permissions { get; }
}

/// <summary>Endpoint metadata naming the permission an endpoint checks (read by the endpoint-matrix test and the API docs).</summary>
public sealed record PermissionMetadata(PermissionDefinition Permission);

public static class PermissionRegistration
{
    /// <summary>Declares a module's permissions to Identity.</summary>
    public static IServiceCollection AddPermissions(this IServiceCollection services, IEnumerable<PermissionDefinition> permissions)
    {
        foreach (var permission in permissions)
        {
            services.AddSingleton(permission);
        }

        return services;
    }

    /// <summary>
    /// Marks an endpoint as guarded by <paramref name="permission"/>: anonymous callers get 401 before the
    /// handler runs; the handler checks the permission on its resource with <see cref="IAccessControl"/>.
    /// </summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, PermissionDefinition permission)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(permission.Scope == PermissionScope.System ? AlbsPolicies.Superuser : AlbsPolicies.SignedIn);
        builder.WithMetadata(new PermissionMetadata(permission));
        return builder;
    }
}
