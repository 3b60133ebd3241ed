using Microsoft.AspNetCore.Identity;

namespace Albs.Modules.Identity.Users;

/// <summary>A person (or robot account) who signs in to Albs.</summary>
internal sealed class AlbsUser : IdentityUser
{
    /// <summary>Administers the whole system: platforms, agents, users.</summary>
    public bool IsSuperuser { get; set; }

    public DateTime CreatedAt { get; set; }
}
