using System.Globalization;
using System.Security.Claims;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Queries;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Submission;

/// <summary>
/// Cancel and restart-failed, behind both the endpoints (<see cref="CancelBuild"/>, <see cref="RestartFailed"/>)
/// and the build page: the permission is checked on the build's product, and the audit log written.
/// </summary>
internal sealed class BuildCommands(
    IAccessControl access, IAuditLog audit, AlbsDbContext db, DataDirectory data, BuildTaskStore store,
    RunningTasks running, BuildSignal signal, BuildChangeSignals changes, TimeProvider clock, IProductDirectory products, BuildRequestValidator validator,
    BuildWriter writer) : IBuildCommands
{
    public async Task<CommandResult<BuildResponse>> SubmitAsync(ClaimsPrincipal actor, SubmitBuildRequest request, CancellationToken cancellationToken = default)
    {
        var ct = cancellationToken;

        // The product first: who may build is decided before anything else about the request is looked at.
        var product = string.IsNullOrWhiteSpace(request.Product) ? null : await products.FindAsync(request.Product, ct);
        if (product is null)
        {
            return CommandResult.Invalid<BuildResponse>("product", string.IsNullOrWhiteSpace(request.Product)
                ? "product is required: the product the build belongs to"
                : $"there is no product '{request.Product}'");
        }

        var allowed = await access.CheckAsync(actor, BuildPermissions.Create, product.Id, ct);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<BuildResponse>(allowed);
        }

        var (valid, errors) = await validator.ValidateAsync(request, ids => MissingBuildsAsync(ids, ct), ct);
        if (valid is null)
        {
            return new CommandResult<BuildResponse>(default, StatusCodes.Status400BadRequest, "The build request is not valid.", errors);
        }

        // Microseconds, as PostgreSQL keeps them: the answer shows the times a later read shows.
        var now = clock.GetUtcNow().UtcDateTime;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
        var build = await writer.WriteAsync(SubmitBuild.Describe(valid, request, actor, now, product), ct);
        return new CommandResult<BuildResponse>(BuildQueries.ToResponse(build, data), StatusCodes.Status201Created);
    }

    public async Task<CommandResult<BuildResponse>> CancelAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken = default)
    {
        var ct = cancellationToken;
        var build = await db.Set<Build>().AsNoTracking().Where(b => b.Id == id).Select(b => new { b.Status, b.ProductId }).SingleOrDefaultAsync(ct);
        if (build is null)
        {
            return CommandResult.Fail<BuildResponse>(StatusCodes.Status404NotFound, $"There is no build {id}.");
        }

        var allowed = await access.CheckAsync(actor, BuildPermissions.Cancel, build.ProductId, ct);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<BuildResponse>(allowed);
        }

        if (build.Status is BuildStatus.Completed or BuildStatus.Failed or BuildStatus.Cancelled)
        {
            return CommandResult.Fail<BuildResponse>(StatusCodes.Status409Conflict, $"Build {id} has already ended ({build.Status}).");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var reason = $"cancelled by {actor.Identity?.Name}";
        var tasks = db.Set<BuildTask>().Where(t => t.BuildId == id);
        var started = await tasks.Where(t => t.Status == BuildStatus.Started).Select(t => t.Id).ToListAsync(ct);
        await tasks.Where(t => t.Status == BuildStatus.Idle || t.Status == BuildStatus.Started)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, BuildStatus.Cancelled).SetProperty(t => t.FinishedAt, now).SetProperty(t => t.Error, reason), ct);
        foreach (var taskId in started)
        {
            running.Cancel(taskId);
        }

        await audit.RecordAsync("build.cancel", "build", id.ToString(CultureInfo.InvariantCulture), new { running = started.Count }, ct);

        await store.SettleAsync(ct);
        changes.Changed(id);
        signal.Notify();
        return CommandResult.Ok((await BuildQueries.GetAsync(db, data, id, ct))!);
    }

    public async Task<CommandResult<BuildResponse>> RestartFailedAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken = default)
    {
        var ct = cancellationToken;
        var build = await db.Set<Build>().AsNoTracking().Where(b => b.Id == id).Select(b => new { b.ProductId }).SingleOrDefaultAsync(ct);
        if (build is null)
        {
            return CommandResult.Fail<BuildResponse>(StatusCodes.Status404NotFound, $"There is no build {id}.");
        }

        var allowed = await access.CheckAsync(actor, BuildPermissions.Restart, build.ProductId, ct);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<BuildResponse>(allowed);
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
            return CommandResult.Fail<BuildResponse>(StatusCodes.Status409Conflict, $"Build {id} has no failed tasks.");
        }

        await audit.RecordAsync("build.restart-failed", "build", id.ToString(CultureInfo.InvariantCulture), new { tasks = restarted }, ct);
        changes.Changed(id);
        signal.Notify();
        return CommandResult.Ok((await BuildQueries.GetAsync(db, data, id, ct))!);
    }

    private async Task<IReadOnlyList<long>> MissingBuildsAsync(IReadOnlyList<long> ids, CancellationToken ct)
    {
        var existing = await db.Set<Build>().Where(b => ids.Contains(b.Id)).Select(b => b.Id).ToListAsync(ct);
        return [.. ids.Except(existing)];
    }
}
