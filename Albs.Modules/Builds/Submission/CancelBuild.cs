using System.Security.Claims;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Builds.Submission;

/// <summary>
/// <c>POST /api/v1/builds/{id}/cancel</c>: idle and running tasks alike. A running task's remote
/// process group is killed on its agent, and a cancelled task never publishes artifacts (its
/// outcome no longer matches the task's state and is discarded).
/// </summary>
internal static class CancelBuild
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/v1/builds/{id:long}/cancel", HandleAsync)
            .RequirePermission(BuildPermissions.Cancel)
            .WithName("CancelBuild")
            .WithTags("Builds");

    private static async Task<IResult> HandleAsync(long id, ClaimsPrincipal user, IBuildCommands commands, CancellationToken ct) =>
        (await commands.CancelAsync(user, id, ct)).ToHttp();
}
