using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Albs.Modules.Builds.Lookaside;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Albs.Tests.Builds;

/// <summary>The lookaside the server hosts: uploads by signed-in users, public downloads in Fedora's layout.</summary>
public sealed class LookasideEndpointTests : WebAppTest
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("greet 1.0 source tarball\n");
    private static readonly string Sha512 = Convert.ToHexStringLower(SHA512.HashData(Content));
    private static readonly string Md5 = Md5Of(Content);

    private string Stored(string type, string hash) => Path.Combine(Database.DataDirectory, "lookaside", type, hash);

    private static string Md5Of(byte[] content)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(content);
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string path, byte[] body) =>
        client.PutAsync(path, new ByteArrayContent(body));

    [Fact]
    public async Task An_uploaded_file_is_verified_stored_once_and_downloaded_by_anyone_with_ranges()
    {
        var admin = App.AdminClient();

        var created = await PutAsync(admin, $"/api/v1/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512.ToUpperInvariant()}", Content);
        var again = await PutAsync(admin, $"/api/v1/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512}", Content);

        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var url = $"/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512}/greet-1.0.tar.gz";
        created.Headers.Location!.ToString().Should().Be(url);
        (await created.Content.ReadFromJsonAsync<LookasideFileResponse>())
            .Should().Be(new LookasideFileResponse("greet", "greet-1.0.tar.gz", "sha512", Sha512, Content.Length, url));
        again.StatusCode.Should().Be(HttpStatusCode.OK, "the file was already there");
        (await File.ReadAllBytesAsync(Stored("sha512", Sha512))).Should().Equal(Content);

        var anonymous = App.Client();
        var download = await anonymous.GetAsync(url);
        download.StatusCode.Should().Be(HttpStatusCode.OK);
        download.Content.Headers.ContentType!.MediaType.Should().Be("application/octet-stream");
        (await download.Content.ReadAsByteArrayAsync()).Should().Equal(Content);
        var range = new HttpRequestMessage(HttpMethod.Get, url);
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 4);
        var partial = await anonymous.SendAsync(range);
        partial.StatusCode.Should().Be(HttpStatusCode.PartialContent);
        (await partial.Content.ReadAsStringAsync()).Should().Be("greet");
    }

    [Fact]
    public async Task Anonymous_uploads_are_refused_and_nothing_is_stored()
    {
        var response = await PutAsync(App.Client(), $"/api/v1/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512}", Content);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        File.Exists(Stored("sha512", Sha512)).Should().BeFalse();
    }

    [Fact]
    public async Task Content_that_does_not_match_its_hash_is_a_400_naming_both_hashes_and_is_not_kept()
    {
        var other = Encoding.UTF8.GetBytes("something else\n");

        var response = await PutAsync(App.AdminClient(), $"/api/v1/lookaside/greet/greet-1.0.tar.gz/md5/{Md5}", other);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<ProblemDetails>())!;
        problem.Title.Should().Be("The file does not match its checksum.");
        problem.Detail.Should().Be($"greet-1.0.tar.gz: checksum mismatch: expected md5 {Md5}, got {Md5Of(other)}");
        File.Exists(Stored("md5", Md5)).Should().BeFalse();
        Directory.GetFiles(Path.Combine(Database.DataDirectory, "lookaside"), "*", SearchOption.AllDirectories).Should().BeEmpty("the temporary file is removed too");
    }

    public static TheoryData<string, string> InvalidPaths => new()
    {
        { $"/api/v1/lookaside/greet/..%2F..%2Fkeys/sha512/{Sha512}", "filename" },
        { $"/api/v1/lookaside/greet/..%2f..%2fkeys/sha512/{Sha512}", "filename" },
        { $"/api/v1/lookaside/greet/..%5C..%5Ckeys/sha512/{Sha512}", "filename" },
        { $"/api/v1/lookaside/greet/.hidden/sha512/{Sha512}", "filename" },
        { $"/api/v1/lookaside/greet/-rf/sha512/{Sha512}", "filename" },
        { $"/api/v1/lookaside/greet/a%20b.tar.gz/sha512/{Sha512}", "filename" },
        { $"/api/v1/lookaside/..%2F..%2Fetc/greet-1.0.tar.gz/sha512/{Sha512}", "name" },
        { $"/api/v1/lookaside/greet/greet-1.0.tar.gz/..%2F..%2Fsha512/{Sha512}", "hashtype" },
        { $"/api/v1/lookaside/greet/greet-1.0.tar.gz/sha384/{Sha512[..96]}", "hashtype" },
        { $"/api/v1/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512[..64]}", "hash" },
        { $"/api/v1/lookaside/greet/greet-1.0.tar.gz/sha512/..%2F..%2F{Sha512[..122]}", "hash" },
        { $"/api/v1/lookaside/greet/greet-1.0.tar.gz/md5/{Sha512[..31]}z", "hash" },
    };

    [Theory]
    [MemberData(nameof(InvalidPaths))]
    public async Task Hostile_names_and_malformed_hashes_are_refused_with_the_field_named(string path, string field)
    {
        var response = await PutAsync(App.AdminClient(), path, Content);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, path);
        var problem = (await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>())!;
        problem.Errors.Keys.Should().Equal(field);
        Directory.Exists(Path.Combine(Database.DataDirectory, "lookaside")).Should().BeFalse("nothing was written for " + path);
    }

    [Fact]
    public async Task A_path_with_dot_dot_segments_never_reaches_the_upload()
    {
        // The client and server normalise "/../" away: the request lands on no lookaside route.
        var response = await PutAsync(App.AdminClient(), $"/api/v1/lookaside/greet/../../greet-1.0.tar.gz/sha512/{Sha512}", Content);

        response.IsSuccessStatusCode.Should().BeFalse();
        Directory.Exists(Path.Combine(Database.DataDirectory, "lookaside")).Should().BeFalse();
    }

    [Fact]
    public async Task Downloads_of_unknown_hashes_mismatched_names_or_hostile_paths_find_nothing()
    {
        var admin = App.AdminClient();
        (await PutAsync(admin, $"/api/v1/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512}", Content)).StatusCode.Should().Be(HttpStatusCode.Created);
        var anonymous = App.Client();

        foreach (var path in new[]
        {
            $"/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512[..^1]}0/greet-1.0.tar.gz",
            $"/lookaside/greet/greet-1.0.tar.gz/sha512/{Sha512}/other.tar.gz",
            $"/lookaside/greet/greet-1.0.tar.gz/md5/{Sha512}/greet-1.0.tar.gz",
            $"/lookaside/greet/..%2F..%2Fkeys/sha512/{Sha512}/..%2F..%2Fkeys",
            $"/lookaside/greet/greet-1.0.tar.gz/..%2F..%2Fsha256/{Sha512}/greet-1.0.tar.gz",
            $"/lookaside/greet/greet-1.0.tar.gz/sha512/..%2F..%2F..%2Fkeys/greet-1.0.tar.gz",
        })
        {
            (await anonymous.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.NotFound, path);
        }
    }

    [Fact]
    public async Task Both_endpoints_are_described_in_the_openapi_document()
    {
        var document = await App.Client().GetStringAsync("/openapi/v1.json");

        document.Should().Contain("\"/api/v1/lookaside/{name}/{filename}/{hashtype}/{hash}\"")
            .And.Contain("\"/lookaside/{name}/{filename}/{hashtype}/{hash}/{file}\"");
    }

    [Theory]
    [InlineData("ftp://lookaside.example.org/{hash}")]
    [InlineData("https://lookaside.example.org/{sha}")]
    [InlineData("https://lookaside.example.org/pkgs/{name}/{filename}")]
    public void A_host_with_an_unusable_lookaside_url_refuses_to_start(string template)
    {
        using var database = TestDatabase.Sqlite();
        using var app = new AlbsWebApp(database, new Dictionary<string, string?> { ["Builds:LookasideUrl"] = template });

        var start = () => app.CreateClient();

        start.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*Builds:LookasideUrl must be an absolute http(s) URL containing {hash}*");
    }
}
