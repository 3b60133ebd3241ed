using Albs.Modules.Builds.Sources;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Builds.Lookaside;

/// <summary>Where a fetched file came from: <see cref="DownloadedFrom"/> is null when the store had it.</summary>
internal sealed record LookasideFetch(string Path, Uri? DownloadedFrom);

/// <summary>
/// Gets lookaside files for SRPM tasks on the server (agents need no network): from this server's
/// <see cref="LookasideStore"/>, else downloaded from <c>Builds:LookasideUrl</c> and verified while
/// streaming into the store. Without a URL only the store is used, never HTTP to the server itself.
/// </summary>
internal sealed class LookasideFetcher(LookasideStore store, IOptions<BuildSourceOptions> options) : IDisposable
{
    private readonly HttpClient http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(30),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        // Each download has its own deadline (Builds:LookasideTimeout), covering the body too.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <exception cref="LookasideException">Not found, unreachable, too large, or not matching its checksum; the message names the file.</exception>
    public async Task<LookasideFetch> FetchAsync(string package, LookasideFile file, CancellationToken ct)
    {
        var path = store.PathOf(file.HashType, file.Hash);
        if (File.Exists(path))
        {
            return new LookasideFetch(path, null);
        }

        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.LookasideUrl))
        {
            throw new LookasideException(
                LookasideFailure.NotFound,
                $"{file.Name} ({file.HashType} {file.Hash}) is not in this server's lookaside, and Builds:LookasideUrl is not set; upload it with PUT /api/v1/lookaside/{package}/{file.Name}/{file.HashType}/{file.Hash}");
        }

        var uri = LookasideUrlTemplate.Expand(settings.LookasideUrl, package, file.Name, file.HashType, file.Hash);
        var shown = LookasideUrlTemplate.Display(uri);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(settings.LookasideTimeout);
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new LookasideException(
                    (int)response.StatusCode is 404 or 410 ? LookasideFailure.NotFound : LookasideFailure.Unavailable,
                    $"{file.Name} ({file.HashType} {file.Hash}): {shown} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength > settings.LookasideMaxFileSize)
            {
                throw new LookasideException(LookasideFailure.TooLarge, $"larger than the limit of {settings.LookasideMaxFileSize} bytes");
            }

            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
            await store.AddAsync(body, file.HashType, file.Hash, settings.LookasideMaxFileSize, deadline.Token);
            return new LookasideFetch(path, uri);
        }
        catch (LookasideException ex) when (ex.Failure is LookasideFailure.Mismatch or LookasideFailure.TooLarge)
        {
            throw new LookasideException(ex.Failure, $"{file.Name} from {shown}: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new LookasideException(LookasideFailure.Unavailable, $"{file.Name}: {shown} did not deliver it within {settings.LookasideTimeout}", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new LookasideException(LookasideFailure.Unavailable, $"{file.Name}: cannot download {shown}: {ex.Message}", ex);
        }
    }

    public void Dispose() => http.Dispose();
}
