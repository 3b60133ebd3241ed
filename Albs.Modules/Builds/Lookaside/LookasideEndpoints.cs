using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Builds.Lookaside;

/// <summary>A file in the server's lookaside, as the upload answers it.</summary>
internal sealed record LookasideFileResponse(string Name, string Filename, string HashType, string Hash, long Size, string Url);

/// <summary>
/// The lookaside the server hosts: signed-in users upload files by name and checksum (verified
/// before they are kept), and anyone downloads them in Fedora's layout, so another Albs's
/// <c>Builds:LookasideUrl</c> can point here. Files are found by checksum alone; the names in the
/// path are validated but do not select the content.
/// </summary>
internal static class LookasideEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPut("/api/v1/lookaside/{name}/{filename}/{hashtype}/{hash}", UploadAsync)
            .RequirePermission(BuildPermissions.UploadLookaside)
            .WithName("UploadLookasideFile")
            .WithTags("Lookaside")
            .WithSummary("Upload a source file (the raw body) under its package, name and checksum; it is verified before it is kept.");
        endpoints.MapGet("/lookaside/{name}/{filename}/{hashtype}/{hash}/{file}", Download)
            .AllowAnonymous()
            .WithName("DownloadLookasideFile")
            .WithTags("Lookaside")
            .WithSummary("Download a lookaside file (Fedora's layout: the file name twice); Range requests are supported.");
    }

    private static async Task<Results<Created<LookasideFileResponse>, Ok<LookasideFileResponse>, ValidationProblem, ProblemHttpResult>> UploadAsync(
        string name, string filename, string hashtype, string hash, HttpContext context, IAccessControl access, LookasideStore store, IOptions<BuildSourceOptions> options, CancellationToken ct)
    {
        var allowed = await access.CheckAsync(context.User, BuildPermissions.UploadLookaside, null, ct);
        if (!allowed.IsAllowed)
        {
            return TypedResults.Problem(title: "Not allowed.", detail: allowed.Reason, statusCode: allowed.StatusCode);
        }

        (hashtype, hash) = (hashtype.ToLowerInvariant(), hash.ToLowerInvariant());
        if (Validate(name, filename, hashtype, hash) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The lookaside path is not valid.");
        }

        var limit = options.Value.LookasideMaxFileSize;
        if (context.Request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        // Kestrel's default body limit (30 MB) is far below source tarballs; the store enforces ours.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        bool added;
        try
        {
            added = await store.AddAsync(context.Request.Body, hashtype, hash, limit, ct);
        }
        catch (LookasideException ex) when (ex.Failure == LookasideFailure.Mismatch)
        {
            return TypedResults.Problem(title: "The file does not match its checksum.", detail: $"{filename}: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
        catch (LookasideException ex) when (ex.Failure == LookasideFailure.TooLarge)
        {
            return TooLarge(limit);
        }

        var url = $"/lookaside/{name}/{filename}/{hashtype}/{hash}/{filename}";
        var response = new LookasideFileResponse(name, filename, hashtype, hash, new FileInfo(store.PathOf(hashtype, hash)).Length, url);
        return added ? TypedResults.Created(url, response) : TypedResults.Ok(response);
    }

    private static Results<PhysicalFileHttpResult, NotFound> Download(string name, string filename, string hashtype, string hash, string file, LookasideStore store)
    {
        if (file != filename || Validate(name, filename, hashtype, hash).Count > 0)
        {
            return TypedResults.NotFound();
        }

        var path = store.PathOf(hashtype, hash);
        return File.Exists(path)
            ? TypedResults.PhysicalFile(path, "application/octet-stream", filename, enableRangeProcessing: true)
            : TypedResults.NotFound();
    }

    private static Dictionary<string, string[]> Validate(string name, string filename, string hashtype, string hash)
    {
        var errors = new Dictionary<string, string[]>();
        if (!LookasideNames.IsSafe(name))
        {
            errors["name"] = ["A package name: letters, digits and . _ - + ~ ^ @, not starting with . or -, without '..'."];
        }

        if (!LookasideNames.IsSafe(filename))
        {
            errors["filename"] = ["A plain file name: letters, digits and . _ - + ~ ^ @, not starting with . or -, without '..' or '/'."];
        }

        if (LookasideHash.HexLength(hashtype) == 0)
        {
            errors["hashtype"] = ["One of md5, sha1, sha256, sha512."];
        }
        else if (LookasideHash.Validate(hashtype, hash) is { } error)
        {
            errors["hash"] = [error];
        }

        return errors;
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(title: "The file is too large.", detail: $"The limit is {limit} bytes (Builds:LookasideMaxFileSize).", statusCode: StatusCodes.Status413PayloadTooLarge);
}
