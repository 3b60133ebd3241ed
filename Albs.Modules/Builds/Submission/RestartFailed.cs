using System.Security.Claims;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Builds.Submission;

/// <summary>
/// <c>POST /api/v1/builds/{id}/restart-failed</c>: failed tasks (including arch tasks that failed
/// because their SRPM did) go back to the queue and run again from the same recorded commit;
/// completed and excluded tasks keep their results. Attempts keep counting.
/// </summary>
internal static class RestartFailed
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/v1/builds/{id:long}/restart-failed", HandleAsync)
            .RequirePermission(BuildPermissions.Restart)
            .WithName("RestartFailedTasks")
            .WithTags("Builds");

    private static async Task<IResult> HandleAsync(long id, ClaimsPrincipal user, IBuildCommands commands, CancellationToken ct) =>
        (await commands.RestartFailedAsync(user, id, ct)).ToHttp();
}
