using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Queries;

/// <summary>
/// Public downloads of a task's artifacts and logs (with HTTP Range support). Names are looked up,
/// never joined onto paths: an artifact is found by its database row, a log only if its name is one
/// the server writes, so <c>../</c> and friends find nothing.
/// </summary>
internal static class BuildFiles
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/builds/{id:long}/tasks/{taskId:long}/artifacts/{name}", ArtifactAsync)
            .AllowAnonymous().WithName("DownloadArtifact").WithTags("Builds");
        endpoints.MapGet("/api/v1/builds/{id:long}/tasks/{taskId:long}/logs/{name}", Log)
            .AllowAnonymous().WithName("GetTaskLog").WithTags("Builds")
            .WithSummary("The raw log of one attempt (build.N.log), stored compressed once the attempt ended; Range requests are supported.");
    }

    private static async Task<Results<PhysicalFileHttpResult, NotFound>> ArtifactAsync(long id, long taskId, string name, AlbsDbContext db, ContentStore store, CancellationToken ct)
    {
        var artifact = await db.Set<BuildArtifact>().AsNoTracking()
            .Where(a => a.TaskId == taskId && a.Name == name && db.Set<BuildTask>().Any(t => t.Id == taskId && t.BuildId == id))
            .Select(a => new { a.Sha256, a.Type })
            .SingleOrDefaultAsync(ct);
        if (artifact is null)
        {
            return TypedResults.NotFound();
        }

        var contentType = artifact.Type is "srpm" or "rpm" ? "application/x-rpm" : "application/octet-stream";
        return TypedResults.PhysicalFile(store.PathOf(artifact.Sha256), contentType, name, enableRangeProcessing: true);
    }

    private static Results<FileStreamHttpResult, NotFound> Log(long id, long taskId, string name, DataDirectory data)
    {
        if (LogFiles.AttemptOf(name) is not { } attempt || LogFiles.OpenRead(LogFiles.PathOf(data, id, taskId, attempt)) is not { } log)
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Stream(log, "text/plain; charset=utf-8", enableRangeProcessing: true);
    }
}
