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

    private static async Task<IResult> HandleAsync(
        long id, ClaimsPrincipal user, IAccessControl access, IAuditLog audit, AlbsDbContext db, DataDirectory data, BuildTaskStore store,
        RunningTasks running, BuildSignal signal, TimeProvider clock, CancellationToken ct)
    {
        var build = await db.Set<Build>().AsNoTracking().Where(b => b.Id == id).Select(b => new { b.Status, b.ProductId }).SingleOrDefaultAsync(ct);
        if (build is null)
        {
            return TypedResults.NotFound();
        }

        var allowed = await access.CheckAsync(user, BuildPermissions.Cancel, build.ProductId, ct);
        if (!allowed.IsAllowed)
        {
            return allowed.ToProblem();
        }

        if (build.Status is BuildStatus.Completed or BuildStatus.Failed or BuildStatus.Cancelled)
        {
            return TypedResults.Problem($"Build {id} has already ended ({build.Status}).", statusCode: StatusCodes.Status409Conflict);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var reason = $"cancelled by {user.Identity?.Name}";
        var tasks = db.Set<BuildTask>().Where(t => t.BuildId == id);
        var started = await tasks.Where(t => t.Status == BuildStatus.Started).Select(t => t.Id).ToListAsync(ct);
        await tasks.Where(t => t.Status == BuildStatus.Idle || t.Status == BuildStatus.Started)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, BuildStatus.Cancelled).SetProperty(t => t.FinishedAt, now).SetProperty(t => t.Error, reason), ct);
        foreach (var taskId in started)
        {
            running.Cancel(taskId);
        }

        await audit.RecordAsync("build.cancel", "build", id.ToString(System.Globalization.CultureInfo.InvariantCulture), new { running = started.Count }, ct);

        await store.SettleAsync(ct);
        signal.Notify();
        return TypedResults.Ok((await BuildQueries.GetAsync(db, data, id, ct))!);
    }
}
