using System.Globalization;
using System.Security.Claims;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Teams;
using Albs.Modules.Identity.Users;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Identity.Access;

/// <summary>
/// Decides from the database, not from the claims in a cookie or token: a role taken away, an account
/// disabled or a superuser demoted counts from the next request on.
/// </summary>
internal sealed class AccessControl(AlbsDbContext db, IEnumerable<PermissionDefinition> declared, TimeProvider clock) : IAccessControl
{
    private readonly IReadOnlyList<PermissionDefinition> permissions = [.. declared.DistinctBy(p => p.Name).OrderBy(p => p.Name, StringComparer.Ordinal)];

    public IReadOnlyList<PermissionDefinition> Permissions => permissions;

    public async Task<AccessResult> CheckAsync(ClaimsPrincipal user, PermissionDefinition permission, long? resourceId, CancellationToken cancellationToken = default)
    {
        var caller = await CallerAsync(user, cancellationToken);
        if (caller is null)
        {
            return new AccessResult(StatusCodes.Status401Unauthorized, "Sign in or send an API token to do this.");
        }

        var action = Lower(permission.Description);
        if (caller.TokenProductId is { } limit)
        {
            // A limited token acts on its product only: never as a superuser, never on teams or itself.
            var limitName = await db.Set<Product>().Where(p => p.Id == limit).Select(p => p.Name).SingleOrDefaultAsync(cancellationToken) ?? $"#{limit}";
            switch (permission.Scope)
            {
                case PermissionScope.Product when resourceId == limit:
                    return await RoleCheckAsync(caller, permission, await TeamOfProductAsync(limit, cancellationToken), $"product {limitName}", action, cancellationToken);
                case PermissionScope.AnyTeam:
                    return await RoleCheckAsync(caller, permission, await TeamOfProductAsync(limit, cancellationToken), $"product {limitName}", action, cancellationToken);
                default:
                    return Forbidden($"This API token is limited to product {limitName}; it may not {action} here.");
            }
        }

        if (caller.IsSuperuser)
        {
            return AccessResult.Allowed;
        }

        switch (permission.Scope)
        {
            case PermissionScope.Self:
                return AccessResult.Allowed;
            case PermissionScope.System:
                return Forbidden($"Only superusers may {action}.");
            case PermissionScope.Product:
                var product = resourceId is { } productId
                    ? await db.Set<Product>().AsNoTracking().Where(p => p.Id == productId).Select(p => new { p.Name, p.TeamId }).SingleOrDefaultAsync(cancellationToken)
                    : null;
                return product is null
                    ? Forbidden($"Only superusers may {action} outside a product.")
                    : await RoleCheckAsync(caller, permission, product.TeamId, $"product {product.Name}", action, cancellationToken);
            case PermissionScope.Team:
                return resourceId is { } teamId
                    ? await RoleCheckAsync(caller, permission, teamId, "this team", action, cancellationToken)
                    : Forbidden($"Only superusers may {action} outside a team.");
            case PermissionScope.AnyTeam:
                var words = permission.GrantedTo.Select(r => r.ToWord()).ToList();
                return await db.Set<TeamMembership>().AnyAsync(m => m.UserId == caller.Id && words.Contains(m.Role), cancellationToken)
                    ? AccessResult.Allowed
                    : Forbidden($"You need the {Roles(permission)} role in a team to {action}.");
            default:
                return Forbidden($"Unknown permission scope {permission.Scope}.");
        }
    }

    /// <summary>The caller as the database knows them now; null when anonymous, gone or disabled.</summary>
    internal async Task<Caller?> CallerAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        if (user.Identity?.IsAuthenticated != true || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } id)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var row = await db.Set<AlbsUser>().AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { u.Id, u.UserName, u.IsSuperuser, u.LockoutEnd })
            .SingleOrDefaultAsync(ct);
        if (row is null || row.LockoutEnd > now)
        {
            return null;
        }

        long? limit = long.TryParse(user.FindFirstValue(AlbsClaimTypes.TokenProductId), NumberStyles.None, CultureInfo.InvariantCulture, out var product) ? product : null;
        return new Caller(row.Id, row.UserName ?? row.Id, row.IsSuperuser && limit is null, limit);
    }

    private async Task<long> TeamOfProductAsync(long productId, CancellationToken ct) =>
        await db.Set<Product>().Where(p => p.Id == productId).Select(p => p.TeamId).SingleOrDefaultAsync(ct);

    private async Task<AccessResult> RoleCheckAsync(Caller caller, PermissionDefinition permission, long teamId, string where, string action, CancellationToken ct)
    {
        var words = permission.GrantedTo.Select(r => r.ToWord()).ToList();
        if (words.Count > 0 && await db.Set<TeamMembership>().AnyAsync(m => m.TeamId == teamId && m.UserId == caller.Id && words.Contains(m.Role), ct))
        {
            return AccessResult.Allowed;
        }

        var team = await db.Set<Team>().Where(t => t.Id == teamId).Select(t => t.Name).SingleOrDefaultAsync(ct);
        return words.Count == 0
            ? Forbidden($"Only superusers may {action}.")
            : Forbidden($"You need the {Roles(permission)} role in team {team ?? "?"} to {action} ({where}).");
    }

    private static string Roles(PermissionDefinition permission) =>
        string.Join(" or ", permission.GrantedTo.Select(r => r.ToWord()));

    private static string Lower(string description) =>
        description.Length == 0 ? description : char.ToLowerInvariant(description[0]) + description[1..];

    private static AccessResult Forbidden(string reason) => new(StatusCodes.Status403Forbidden, reason);
}

/// <summary>The caller of a request, as the database knows them.</summary>
internal sealed record Caller(string Id, string UserName, bool IsSuperuser, long? TokenProductId);
