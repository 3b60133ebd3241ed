using System.Text.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Queries;

/// <summary>The public reads: a build with its tasks, and the filtered, paged build list.</summary>
internal static class BuildQueries
{
    public const int MaxPageSize = BuildListQuery.MaxPageSize;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/builds/{id:long}", async Task<Results<Ok<BuildResponse>, NotFound>> (long id, AlbsDbContext db, DataDirectory data, CancellationToken ct) =>
                await GetAsync(db, data, id, ct) is { } build ? TypedResults.Ok(build) : TypedResults.NotFound())
            .AllowAnonymous().WithName("GetBuild").WithTags("Builds");
        endpoints.MapGet("/api/v1/builds", ListAsync)
            .AllowAnonymous().WithName("ListBuilds").WithTags("Builds")
            .WithSummary("Builds newest first; filters: package, status, platform, arch, createdBy, product, from, to (UTC), nevra; page from 1.");
    }

    public static async Task<BuildResponse?> GetAsync(AlbsDbContext db, DataDirectory data, long id, CancellationToken ct) =>
        (await GetDetailsAsync(db, data, id, ct))?.Build;

    /// <summary>The build as the API shows it, with its product's id; null when unknown.</summary>
    public static async Task<BuildDetails?> GetDetailsAsync(AlbsDbContext db, DataDirectory data, long id, CancellationToken ct)
    {
        var build = await db.Set<Build>().AsNoTracking().AsSplitQuery()
            .Include(b => b.Sources)
            .Include(b => b.Tasks).ThenInclude(t => t.Artifacts)
            .SingleOrDefaultAsync(b => b.Id == id, ct);
        return build is null ? null : new BuildDetails(ToResponse(build, data), build.ProductId);
    }

    private static async Task<Results<Ok<BuildListResponse>, ValidationProblem>> ListAsync(
        AlbsDbContext db, CancellationToken ct, string? package = null, string? status = null, string? platform = null,
        string? arch = null, string? createdBy = null, string? product = null, DateTime? from = null, DateTime? to = null,
        int page = 1, int pageSize = 25, string? nevra = null)
    {
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["page"] = [$"page starts at 1; pageSize is 1 to {MaxPageSize}"] });
        }

        if (!string.IsNullOrWhiteSpace(nevra) && !NevraPattern.TryParse(nevra, out _, out var nevraError))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["nevra"] = [nevraError!] });
        }

        return TypedResults.Ok(await ListBuildsAsync(db, new BuildListQuery(package, status, platform, arch, createdBy, product, from, to, page, pageSize, nevra), ct));
    }

    /// <summary>The list behind the endpoint and <see cref="IBuildQueries"/>; the page is taken as given.</summary>
    public static async Task<BuildListResponse> ListBuildsAsync(AlbsDbContext db, BuildListQuery query, CancellationToken ct)
    {
        var (package, status, platform, arch, createdBy, product) = (query.Package, query.Status, query.Platform, query.Arch, query.CreatedBy, query.Product);
        var (page, pageSize) = (query.Page, query.PageSize);
        var builds = db.Set<Build>().AsNoTracking();

        // Package, platform, arch and NEVRA are "id IN (index range)": each is an index range read of
        // (value, build_id), where a correlated EXISTS made the database probe every build in turn.
        if (!string.IsNullOrWhiteSpace(package))
        {
            var packageIds = db.Set<BuildSource>().Where(s => s.Package == package).Select(s => s.BuildId);
            builds = builds.Where(b => packageIds.Contains(b.Id));
        }

        if (!string.IsNullOrWhiteSpace(status))
        {
            builds = builds.Where(b => b.Status == status);
        }

        if (!string.IsNullOrWhiteSpace(platform))
        {
            var platformIds = db.Set<BuildTask>().Where(t => t.Platform == platform).Select(t => t.BuildId);
            builds = builds.Where(b => platformIds.Contains(b.Id));
        }

        if (!string.IsNullOrWhiteSpace(arch))
        {
            var archIds = db.Set<BuildTask>().Where(t => t.Arch == arch).Select(t => t.BuildId);
            builds = builds.Where(b => archIds.Contains(b.Id));
        }

        if (!string.IsNullOrWhiteSpace(query.Nevra))
        {
            if (!NevraPattern.TryParse(query.Nevra, out var pattern, out var error))
            {
                throw new ArgumentException(error, nameof(query));
            }

            var tasks = pattern!.Alternatives.Select(a => Matching(db, a)).Aggregate((x, y) => x.Concat(y));
            var nevraIds = db.Set<BuildTask>().Where(t => tasks.Contains(t.Id)).Select(t => t.BuildId);
            builds = builds.Where(b => nevraIds.Contains(b.Id));
        }

        if (!string.IsNullOrWhiteSpace(createdBy))
        {
            builds = builds.Where(b => b.CreatedByName == createdBy);
        }

        if (!string.IsNullOrWhiteSpace(product))
        {
            builds = builds.Where(b => b.ProductName == product);
        }

        if (query.From is { } from)
        {
            var since = AsUtc(from);
            builds = builds.Where(b => b.CreatedAt >= since);
        }

        if (query.To is { } to)
        {
            var until = AsUtc(to);
            builds = builds.Where(b => b.CreatedAt <= until);
        }

        var total = await builds.CountAsync(ct);
        var rows = await builds.OrderByDescending(b => b.Id).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(b => new { b.Id, b.Status, b.CreatedByName, b.CreatedAt, b.FinishedAt, b.ProductName })
            .ToListAsync(ct);

        // The page's packages, platforms and arches in two small queries (SQLite cannot nest
        // DISTINCT collections in one).
        var ids = rows.Select(r => r.Id).ToList();
        var packages = (await db.Set<BuildSource>().AsNoTracking().Where(s => ids.Contains(s.BuildId))
                .OrderBy(s => s.Position).Select(s => new { s.BuildId, s.Package }).ToListAsync(ct))
            .ToLookup(s => s.BuildId, s => s.Package);
        var targets = (await db.Set<BuildTask>().AsNoTracking().Where(t => ids.Contains(t.BuildId))
                .Select(t => new { t.BuildId, t.Platform, t.Arch }).Distinct().ToListAsync(ct))
            .ToLookup(t => t.BuildId);
        var items = rows.Select(r => new BuildSummaryResponse(
            r.Id,
            r.Status,
            r.CreatedByName,
            r.CreatedAt,
            r.FinishedAt,
            [.. packages[r.Id]],
            [.. targets[r.Id].Select(t => t.Platform).Distinct().Order(StringComparer.Ordinal)],
            [.. targets[r.Id].Where(t => t.Arch != BuildPlanner.SrcArch).Select(t => t.Arch).Distinct().Order(StringComparer.Ordinal)],
            r.ProductName)).ToList();
        return new BuildListResponse(items, page, pageSize, total);
    }

    /// <summary>The tasks with a package (RPM or SRPM) of this reading of a NEVRA filter, on the (name, version, release) index.</summary>
    private static IQueryable<long> Matching(AlbsDbContext db, NevraAlternative nevra)
    {
        var artifacts = db.Set<BuildArtifact>()
            .Where(a => a.RpmName == nevra.Name && a.RpmVersion == nevra.Version && a.RpmRelease == nevra.Release);
        if (nevra.Arch is { } arch)
        {
            artifacts = artifacts.Where(a => a.RpmArch == arch);
        }

        if (nevra.Epoch is 0)
        {
            artifacts = artifacts.Where(a => a.RpmEpoch == null || a.RpmEpoch == 0);
        }
        else if (nevra.Epoch is { } epoch)
        {
            artifacts = artifacts.Where(a => a.RpmEpoch == epoch);
        }

        return artifacts.Select(a => a.TaskId);
    }

    /// <summary>A time without a zone is taken as UTC, as every stored time is.</summary>
    private static DateTime AsUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };


    /// <summary>A build as the API shows it, from its entity with sources, tasks and their artifacts.</summary>
    public static BuildResponse ToResponse(Build build, DataDirectory data)
    {
        var sources = build.Sources.OrderBy(s => s.Position).ToList();
        var byId = sources.ToDictionary(s => s.Id);
        return new BuildResponse(
            build.Id,
            build.Status,
            build.CreatedByName,
            build.CreatedAt,
            build.FinishedAt,
            build.IndependentTasks,
            build.Priority,
            JsonSerializer.Deserialize<MockOptionsRequest>(build.MockOptions, JsonSerializerOptions.Web) ?? new MockOptionsRequest(),
            JsonSerializer.Deserialize<long[]>(build.LinkedBuilds) ?? [],
            [.. sources.Select(s => new BuildSourceResponse(s.Position, s.Kind, s.Url, s.Ref, s.RefKind, s.CommitId))],
            [.. build.Tasks.OrderBy(t => t.Id).Select(t =>
            {
                var source = byId[t.SourceId];
                return new BuildTaskResponse(
                    t.Id, source.Position, t.Platform, t.Arch, t.Status, source.Url, source.Ref, source.CommitId, t.AgentName, t.Attempt,
                    t.CreatedAt, t.StartedAt, t.FinishedAt, t.Error, t.SrpmTaskId, t.AfterTaskId,
                    LogFiles.Names(data, build.Id, t.Id),
                    [.. t.Artifacts.OrderBy(a => a.Name).Select(a => new BuildArtifactResponse(
                        a.Name, a.Type, a.Size, a.Sha256, a.Nevra, $"/api/v1/builds/{build.Id}/tasks/{t.Id}/artifacts/{Uri.EscapeDataString(a.Name)}"))]);
            })],
            build.ProductName);
    }
}
