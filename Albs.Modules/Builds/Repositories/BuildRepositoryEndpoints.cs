using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Builds.Repositories;

/// <summary>
/// Public reads of build repositories: the list of a build's repositories, and the repositories
/// themselves for dnf under <c>/repos/builds/{id}/{platform}/{arch}/</c> (<c>repodata/*</c> and the
/// packages, with Range support). Paths are matched against the generated files by
/// <see cref="RepositoryDirectory.Find"/>; nothing else is reachable.
/// </summary>
internal static class BuildRepositoryEndpoints
{
    public const string RepomdPath = "repodata/repomd.xml";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/builds/{id:long}/repos", ListAsync)
            .AllowAnonymous().WithName("ListBuildRepositories").WithTags("Builds")
            .WithSummary("The build's dnf repositories per platform and arch (and src), with their URLs and package counts.");
        endpoints.MapMethods("/repos/builds/{id:long}/{platform}/{arch}/{**path}", [HttpMethods.Get, HttpMethods.Head], FileAsync)
            .AllowAnonymous().WithName("GetBuildRepositoryFile").WithTags("Builds")
            .WithSummary("A file of a build repository (repodata/repomd.xml, repodata/*, packages); Range requests are supported.");
    }

    private static async Task<Results<Ok<IReadOnlyList<BuildRepositoryResponse>>, NotFound>> ListAsync(long id, BuildRepositories repositories, CancellationToken ct) =>
        await repositories.ListAsync(id, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();

    private static async Task<Results<PhysicalFileHttpResult, NotFound>> FileAsync(
        long id, string platform, string arch, string? path, BuildRepositories repositories, HttpResponse response, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(path))
        {
            return TypedResults.NotFound();
        }

        var isRepomd = path == RepomdPath;
        if (await repositories.OpenAsync(id, platform, arch, refresh: isRepomd, ct) is not { } repository
            || repository.Find(path) is not { } file)
        {
            return TypedResults.NotFound();
        }

        if (isRepomd)
        {
            // The one file that changes in place: caches must ask again; everything it points to is immutable.
            response.Headers.CacheControl = "no-cache";
        }

        return TypedResults.PhysicalFile(file, ContentType(file), enableRangeProcessing: true);
    }

    private static string ContentType(string file) => Path.GetExtension(file) switch
    {
        ".rpm" => "application/x-rpm",
        ".xml" => "application/xml",
        ".gz" => "application/gzip",
        ".zst" => "application/zstd",
        ".bz2" => "application/x-bzip2",
        ".xz" => "application/x-xz",
        _ => "application/octet-stream",
    };
}
