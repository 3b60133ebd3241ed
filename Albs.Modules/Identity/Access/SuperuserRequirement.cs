using Microsoft.AspNetCore.Authorization;

namespace Albs.Modules.Identity.Access;

/// <summary>The superuser policy, decided from the database (a demoted superuser's cookie stops working at once).</summary>
internal sealed class SuperuserRequirement : IAuthorizationRequirement;

internal sealed class SuperuserHandler(AccessControl access) : AuthorizationHandler<SuperuserRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, SuperuserRequirement requirement)
    {
        if (await access.CallerAsync(context.User, CancellationToken.None) is { IsSuperuser: true })
        {
            context.Succeed(requirement);
        }
    }
}
