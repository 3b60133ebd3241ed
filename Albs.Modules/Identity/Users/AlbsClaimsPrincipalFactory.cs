using System.Security.Claims;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Identity.Users;

/// <summary>Adds Albs's own claims (superuser) to the principal Identity builds for a user.</summary>
internal sealed class AlbsClaimsPrincipalFactory(UserManager<AlbsUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<AlbsUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AlbsUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.IsSuperuser)
        {
            identity.AddClaim(new Claim(AlbsClaimTypes.Superuser, "true"));
        }

        return identity;
    }
}
