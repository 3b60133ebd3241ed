using System.Security.Claims;
using Albs.Modules.Identity.Contracts;

namespace Albs.Modules.Platforms.Contracts;

/// <summary>
/// Creating and replacing platforms, for the API and the admin pages alike: one implementation, so
/// both check the same permission (<see cref="PlatformPermissions.Manage"/>, superusers), validate
/// the same way and write the same audit entries (<c>platform.create</c>, <c>platform.update</c>).
/// </summary>
public interface IPlatformAdministration
{
    /// <summary>
    /// Stores a new platform: 201 with it; 400 with errors keyed by the camelCase field (<c>distTag</c>,
    /// <c>rpmMacros.vendor</c>, <c>repositories[0].url</c>); 409 when the name (ignoring case) is taken;
    /// 401/403 when the actor may not manage platforms.
    /// </summary>
    Task<CommandResult<PlatformDto>> CreateAsync(ClaimsPrincipal actor, PlatformRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the whole definition of platform <paramref name="name"/> (ignoring case; fields left out take
    /// their defaults; the name cannot change): 200 with it, 404, 400 with field errors, 401/403.
    /// </summary>
    Task<CommandResult<PlatformDto>> ReplaceAsync(ClaimsPrincipal actor, string name, PlatformRequest request, CancellationToken cancellationToken = default);
}
