using System.Security.Claims;
using System.Text.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Builds.Queries;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
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

    private static async Task<IResult> HandleAsync(
        SubmitBuildRequest request, ClaimsPrincipal user, IProductDirectory products, IAccessControl access, BuildRequestValidator validator,
        AlbsDbContext db, DataDirectory data, BuildSignal dispatch, TimeProvider clock, CancellationToken ct)
    {
        // The product first: who may build is decided before anything else about the request is looked at.
        var product = string.IsNullOrWhiteSpace(request.Product) ? null : await products.FindAsync(request.Product, ct);
        if (product is null)
        {
            var message = string.IsNullOrWhiteSpace(request.Product)
                ? "product is required: the product the build belongs to"
                : $"there is no product '{request.Product}'";
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["product"] = [message] }, title: "The build request is not valid.");
        }

        var allowed = await access.CheckAsync(user, BuildPermissions.Create, product.Id, ct);
        if (!allowed.IsAllowed)
        {
            return allowed.ToProblem();
        }

        var (valid, errors) = await validator.ValidateAsync(request, ids => MissingBuildsAsync(db, ids, ct), ct);
        if (valid is null)
        {
            return TypedResults.ValidationProblem(errors, title: "The build request is not valid.");
        }

        var build = await CreateAsync(db, valid, request, user, clock.GetUtcNow().UtcDateTime, ct, product);
        dispatch.Notify();
        var response = await BuildQueries.GetAsync(db, data, build.Id, ct);
        return TypedResults.Created($"/api/v1/builds/{build.Id}", response);
    }

    private static async Task<IReadOnlyList<long>> MissingBuildsAsync(AlbsDbContext db, IReadOnlyList<long> ids, CancellationToken ct)
    {
        var existing = await db.Set<Build>().Where(b => ids.Contains(b.Id)).Select(b => b.Id).ToListAsync(ct);
        return [.. ids.Except(existing)];
    }

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
