using System.Security.Claims;
using System.Text.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Submission;

/// <summary><c>POST /api/v1/builds</c>: validate, resolve refs, plan the tasks, store them in one transaction.</summary>
internal static class SubmitBuild
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/v1/builds", HandleAsync)
            .RequirePermission(BuildPermissions.Create)
            .WithName("SubmitBuild")
            .WithTags("Builds")
            .WithSummary("Submit a build of git refs or SRPMs for platforms and architectures.");

    private static async Task<IResult> HandleAsync(SubmitBuildRequest request, ClaimsPrincipal user, IBuildCommands commands, CancellationToken ct) =>
        (await commands.SubmitAsync(user, request, ct)).ToHttp(b => $"/api/v1/builds/{b.Id}", "The build request is not valid.");

    internal static async Task<Build> CreateAsync(AlbsDbContext db, ValidBuildRequest valid, SubmitBuildRequest request, ClaimsPrincipal user, DateTime now, CancellationToken ct, ProductDto? product = null)
    {
        var userName = user.Identity?.Name ?? "unknown";
        var build = new Build
        {
            CreatedById = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? userName,
            CreatedByName = userName,
            CreatedAt = now,
            ProductId = product?.Id,
            ProductName = product?.Name,
            IndependentTasks = request.IndependentTasks,
            Priority = request.Priority,
            MockOptions = JsonSerializer.Serialize(new MockOptionsRequest(valid.Options.With, valid.Options.Without, valid.Options.Defines), JsonSerializerOptions.Web),
            LinkedBuilds = JsonSerializer.Serialize(valid.LinkedBuilds),
        };
        for (var i = 0; i < valid.Sources.Count; i++)
        {
            var source = valid.Sources[i];
            build.Sources.Add(new BuildSource
            {
                Position = i,
                Kind = source.Kind,
                Url = source.Url,
                Package = source.Package,
                Ref = source.Git?.Ref,
                RefKind = source.Git?.Kind.ToString().ToLowerInvariant(),
                CommitId = source.Git?.Commit,
            });
        }

        var plan = BuildPlanner.Plan(valid.Sources.Count, [.. valid.Platforms.Select(p => new PlannedPlatform(p.Platform.Name, p.Arches))], request.IndependentTasks);
        var tasks = plan.ToDictionary(p => p, p => new BuildTask
        {
            Platform = p.Platform,
            Arch = p.Arch,
            Submitter = build.CreatedByName,
            Priority = request.Priority,
            CreatedAt = now,
        });

        // Two saves in one transaction: task ids exist only after the first, and the
        // dependencies between tasks are ids.
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            db.Add(build);
            await db.SaveChangesAsync(ct);
            foreach (var (planned, task) in tasks)
            {
                task.BuildId = build.Id;
                task.SourceId = build.Sources[planned.SourceIndex].Id;
                db.Add(task);
            }

            await db.SaveChangesAsync(ct);
            foreach (var (planned, task) in tasks)
            {
                task.SrpmTaskId = planned.SourceTask is { } srpm ? tasks[srpm].Id : null;
                task.AfterTaskId = planned.After is { } after ? tasks[after].Id : null;
            }

            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        });
        return build;
    }
}
