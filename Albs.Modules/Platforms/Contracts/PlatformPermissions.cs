using Albs.Modules.Identity.Contracts;

namespace Albs.Modules.Platforms.Contracts;

/// <summary>Permissions of the Platforms module.</summary>
public static class PlatformPermissions
{
    public static readonly PermissionDefinition Manage = new("platforms.manage", "Create and edit platforms", PermissionScope.System, []);

    public static IReadOnlyList<PermissionDefinition> All { get; } = [Manage];
}
