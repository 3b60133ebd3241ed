using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Albs.Modules.Builds.Lookaside;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Common.Storage;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Albs.Tests.Builds;

/// <summary>Fetching lookaside files over real HTTP into a real store on disk.</summary>
public sealed class LookasideFetcherTests : IAsyncLifetime
{
    private const string FedoraLayout = "/repo/pkgs/{name}/{filename}/{hashtype}/{hash}/{filename}";
    private static readonly byte[] Tarball = Encoding.UTF8.GetBytes("pretend this is greet-1.0.tar.gz\n");
    private static readonly string Sha512 = Convert.ToHexStringLower(SHA512.HashData(Tarball));
    private static readonly string Sha256 = Convert.ToHexStringLower(SHA256.HashData(Tarball));

    private readonly string directory = Directory.CreateTempSubdirectory("albs-lookaside-fetch-").FullName;
    private LookasideHttpServer upstream = null!;
    private LookasideStore store = null!;

    public async Task InitializeAsync()
    {
        upstream = await LookasideHttpServer.StartAsync();
        store = new LookasideStore(new DataDirectory(directory));
    }

    public async Task DisposeAsync()
    {
        await upstream.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    private LookasideFetcher Fetcher(string? template, long maxFileSize = 1 << 20, TimeSpan? timeout = null) =>
        new(store, Options.Create(new BuildSourceOptions
        {
            LookasideUrl = template,
            LookasideMaxFileSize = maxFileSize,
            LookasideTimeout = timeout ?? TimeSpan.FromSeconds(30),
        }));

    private string[] KeptFiles() => Directory.GetFiles(Path.Combine(directory, "lookaside"), "*", SearchOption.AllDirectories);

    [Fact]
    public async Task A_file_is_downloaded_in_fedoras_layout_verified_stored_and_then_taken_from_the_store()
    {
        upstream.Files[$"/repo/pkgs/libstdc++/greet_1.0+git~1.tar.gz/sha512/{Sha512}/greet_1.0+git~1.tar.gz"] = Tarball;
        using var fetcher = Fetcher(upstream.Url + FedoraLayout);
        var file = new LookasideFile("greet_1.0+git~1.tar.gz", "sha512", Sha512);

        var first = await fetcher.FetchAsync("libstdc++", file, CancellationToken.None);
        var second = await fetcher.FetchAsync("libstdc++", file, CancellationToken.None);

        first.DownloadedFrom!.AbsoluteUri.Should().StartWith(upstream.Url);
        upstream.Requests.Should().ContainSingle().Which.Should().Be($"/repo/pkgs/libstdc%2B%2B/greet_1.0%2Bgit~1.tar.gz/sha512/{Sha512}/greet_1.0%2Bgit~1.tar.gz");
        second.DownloadedFrom.Should().BeNull("the second fetch finds the verified file in the store");
        second.Path.Should().Be(Path.Combine(directory, "lookaside", "sha512", Sha512));
        (await File.ReadAllBytesAsync(second.Path)).Should().Equal(Tarball);
        KeptFiles().Should().Equal(second.Path);
    }

    [Fact]
    public async Task A_missing_file_names_the_file_and_the_url_that_answered_404()
    {
        using var fetcher = Fetcher(upstream.Url + "/sources/{hash}");

        var fetch = () => fetcher.FetchAsync("greet", new LookasideFile("greet-1.0.tar.gz", "sha256", Sha256), CancellationToken.None);

        (await fetch.Should().ThrowAsync<LookasideException>())
            .Where(e => e.Failure == LookasideFailure.NotFound)
            .WithMessage($"greet-1.0.tar.gz (sha256 {Sha256}): {upstream.Url}/sources/{Sha256} answered 404 Not Found");
    }

    [Fact]
    public async Task Wrong_bytes_are_a_mismatch_naming_expected_and_actual_and_nothing_is_kept()
    {
        var wrong = Encoding.UTF8.GetBytes("a different tarball\n");
        upstream.Files[$"/sources/{Sha256}"] = wrong;
        using var fetcher = Fetcher(upstream.Url + "/sources/{hash}");

        var fetch = () => fetcher.FetchAsync("greet", new LookasideFile("greet-1.0.tar.gz", "sha256", Sha256), CancellationToken.None);

        (await fetch.Should().ThrowAsync<LookasideException>())
            .Where(e => e.Failure == LookasideFailure.Mismatch)
            .WithMessage($"greet-1.0.tar.gz from {upstream.Url}/sources/{Sha256}: checksum mismatch: expected sha256 {Sha256}, got {Convert.ToHexStringLower(SHA256.HashData(wrong))}");
        KeptFiles().Should().BeEmpty();
        store.Contains("sha256", Sha256).Should().BeFalse();
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused_while_streaming_and_not_kept()
    {
        upstream.Files[$"/sources/{Sha256}"] = Tarball;
        using var fetcher = Fetcher(upstream.Url + "/sources/{hash}", maxFileSize: Tarball.Length - 1);

        var fetch = () => fetcher.FetchAsync("greet", new LookasideFile("greet-1.0.tar.gz", "sha256", Sha256), CancellationToken.None);

        (await fetch.Should().ThrowAsync<LookasideException>())
            .Where(e => e.Failure == LookasideFailure.TooLarge)
            .WithMessage($"greet-1.0.tar.gz from *: larger than the limit of {Tarball.Length - 1} bytes");
        KeptFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task A_server_that_does_not_deliver_in_time_is_an_error_not_a_hang()
    {
        upstream.Delay = TimeSpan.FromSeconds(30);
        upstream.Files[$"/sources/{Sha256}"] = Tarball;
        using var fetcher = Fetcher(upstream.Url + "/sources/{hash}", timeout: TimeSpan.FromMilliseconds(500));

        var fetch = () => fetcher.FetchAsync("greet", new LookasideFile("greet-1.0.tar.gz", "sha256", Sha256), CancellationToken.None);

        (await fetch.Should().ThrowAsync<LookasideException>())
            .Where(e => e.Failure == LookasideFailure.Unavailable)
            .WithMessage("greet-1.0.tar.gz: * did not deliver it within 00:00:00.5000000");
    }

    [Fact]
    public async Task Without_a_url_only_the_store_is_asked_and_a_missing_file_says_how_to_upload_it()
    {
        using var fetcher = Fetcher(null);

        var fetch = () => fetcher.FetchAsync("greet", new LookasideFile("greet-1.0.tar.gz", "sha256", Sha256), CancellationToken.None);

        (await fetch.Should().ThrowAsync<LookasideException>())
            .WithMessage($"greet-1.0.tar.gz (sha256 {Sha256}) is not in this server's lookaside, and Builds:LookasideUrl is not set; upload it with PUT /api/v1/lookaside/greet/greet-1.0.tar.gz/sha256/{Sha256}");
        upstream.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Another_albs_serves_its_lookaside_over_http_in_the_layout_a_lookaside_url_expects()
    {
        using var database = TestDatabase.Sqlite();
        await using var other = new AlbsWebApp(database);
        other.UseKestrel(0);
        other.StartServer();
        var address = other.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var admin = new HttpClient { BaseAddress = new Uri(address) };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AlbsWebApp.AdminToken);
        var upload = await admin.PutAsync($"/api/v1/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512}", new ByteArrayContent(Tarball));
        upload.StatusCode.Should().Be(HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
        (await upload.Content.ReadFromJsonAsync<LookasideFileResponse>())!.Url.Should().Be($"/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512}/greet-1.0.tar.gz");
        using var fetcher = Fetcher(address.TrimEnd('/') + "/lookaside/{name}/{filename}/{hashtype}/{hash}/{filename}");

        var fetched = await fetcher.FetchAsync("greet", new LookasideFile("greet-1.0.tar.gz", "sha512", Sha512), CancellationToken.None);

        fetched.DownloadedFrom!.AbsoluteUri.Should().Be($"{address.TrimEnd('/')}/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512}/greet-1.0.tar.gz");
        (await File.ReadAllBytesAsync(fetched.Path)).Should().Equal(Tarball);
    }
}

/// <summary>
/// A tiny lookaside on real HTTP (Kestrel on loopback): serves <see cref="Files"/> by path, answers 404
/// otherwise, records each raw request target and can stall before answering.
/// </summary>
internal sealed class LookasideHttpServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private LookasideHttpServer(WebApplication app) => this.app = app;

    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Requests { get; } = new();

    public TimeSpan Delay { get; set; }

    /// <summary>http://127.0.0.1:port, without a trailing slash.</summary>
    public string Url { get; private set; } = "";

    public static async Task<LookasideHttpServer> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var server = new LookasideHttpServer(builder.Build());
        server.app.Run(server.ServeAsync);
        await server.app.StartAsync();
        server.Url = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return server;
    }

    private async Task ServeAsync(HttpContext context)
    {
        Requests.Enqueue(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        if (!Files.TryGetValue(context.Request.Path.Value ?? "", out var content))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        // No Content-Length: the body is chunked, so only the reader's own count can stop an oversized one.
        await context.Response.Body.WriteAsync(content, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
