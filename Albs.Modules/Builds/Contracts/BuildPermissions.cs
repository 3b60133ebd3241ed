using Albs.Modules.Identity.Contracts;

namespace Albs.Modules.Builds.Contracts;

/// <summary>Permissions of the Builds module. Reading builds, logs and artifacts needs none.</summary>
public static class BuildPermissions
{
    public static readonly PermissionDefinition Create = new("builds.create", "Submit builds of the product", PermissionScope.Product, [TeamRole.Manager, TeamRole.Contributor]);

    public static readonly PermissionDefinition Cancel = new("builds.cancel", "Cancel the product's builds", PermissionScope.Product, [TeamRole.Manager, TeamRole.Contributor]);

    public static readonly PermissionDefinition Restart = new("builds.restart", "Restart the failed tasks of the product's builds", PermissionScope.Product, [TeamRole.Manager, TeamRole.Contributor]);

    public static readonly PermissionDefinition UploadLookaside = new("lookaside.upload", "Upload source files to the shared lookaside", PermissionScope.AnyTeam, [TeamRole.Manager, TeamRole.Contributor]);

    public static IReadOnlyList<PermissionDefinition> All { get; } = [Create, Cancel, Restart, UploadLookaside];
}
