using System.Security.Claims;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Queries;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

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

    private static async Task<IResult> HandleAsync(
        long id, ClaimsPrincipal user, IAccessControl access, IAuditLog audit, AlbsDbContext db, DataDirectory data, BuildSignal signal, CancellationToken ct)
    {
        var build = await db.Set<Build>().AsNoTracking().Where(b => b.Id == id).Select(b => new { b.ProductId }).SingleOrDefaultAsync(ct);
        if (build is null)
        {
            return TypedResults.NotFound();
        }

        var allowed = await access.CheckAsync(user, BuildPermissions.Restart, build.ProductId, ct);
        if (!allowed.IsAllowed)
        {
            return allowed.ToProblem();
        }

        var strategy = db.Database.CreateExecutionStrategy();
        var restarted = await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var count = await db.Set<BuildTask>().Where(t => t.BuildId == id && t.Status == BuildStatus.Failed)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, BuildStatus.Idle).SetProperty(t => t.Error, (string?)null)
                    .SetProperty(t => t.FinishedAt, (DateTime?)null).SetProperty(t => t.AgentName, (string?)null), ct);
            if (count > 0)
            {
                await db.Set<Build>().Where(b => b.Id == id)
                    .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, BuildStatus.Running).SetProperty(b => b.FinishedAt, (DateTime?)null), ct);
            }

            await transaction.CommitAsync(ct);
            return count;
        });
        if (restarted == 0)
        {
            return TypedResults.Problem($"Build {id} has no failed tasks.", statusCode: StatusCodes.Status409Conflict);
        }

        await audit.RecordAsync("build.restart-failed", "build", id.ToString(System.Globalization.CultureInfo.InvariantCulture), new { tasks = restarted }, ct);
        signal.Notify();
        return TypedResults.Ok((await BuildQueries.GetAsync(db, data, id, ct))!);
    }
}
