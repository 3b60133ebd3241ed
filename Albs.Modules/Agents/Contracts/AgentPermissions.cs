using Albs.Modules.Identity.Contracts;

namespace Albs.Modules.Agents.Contracts;

/// <summary>Permissions of the Agents module.</summary>
public static class AgentPermissions
{
    public static readonly PermissionDefinition Manage = new("agents.manage", "Register, change and remove build agents", PermissionScope.System, []);

    public static IReadOnlyList<PermissionDefinition> All { get; } = [Manage];
}
