using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Common.Processes;
using Albs.Tests.Support;

namespace Albs.Tests.Builds;

/// <summary>
/// dist-git packages whose tarball is only in this server's lookaside (uploaded through the API),
/// built from real git repositories on a real sshd agent with rpmbuild.
/// </summary>
public sealed class LookasideBuildTests : BuildAgentTest
{
    private const string Text = "hello from a tarball the lookaside kept\n";
    private TestGitRepository greet = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        greet = await TestGitRepository.CreateAsync("greet");
        await RegisterAgentAsync("builder1");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            greet?.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task UploadAsync(string fileName, string hashType, string hash, byte[] content)
    {
        var response = await App.AdminClient().PutAsync($"/api/v1/lookaside/greet/{fileName}/{hashType}/{hash}", new ByteArrayContent(content));
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_flat_package_builds_with_the_tarball_its_sources_file_names_from_the_servers_lookaside()
    {
        var tarball = LookasideBuildKit.Tarball("greet-1.0", ("greet.txt", Text));
        var sha512 = Convert.ToHexStringLower(SHA512.HashData(tarball));
        await UploadAsync("greet-1.0.tar.gz", "sha512", sha512, tarball);
        await greet.CommitAsync("import greet", ("greet.spec", Fixture("greet.spec")), ("greet.conf", "greeting=hello\n"), ("sources", $"SHA512 (greet-1.0.tar.gz) = {sha512}\n"));

        var build = await WaitForEndAsync((await SubmitAsync(Demo(greet.Url))).Id);

        build.Status.Should().Be("completed", string.Join("; ", build.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        var srpmTask = build.Tasks.Single(t => t.Arch == "src");
        var srpmLog = await LookasideBuildKit.LogAsync(Database.DataDirectory, build.Id, srpmTask.Id);
        srpmLog.Should().Contain("albs: lookaside greet-1.0.tar.gz sha512 ok (from this server's lookaside)");
        var srpm = srpmTask.Artifacts.Single(a => a.Type == "srpm");
        (await LookasideBuildKit.ListAsync(LookasideBuildKit.Stored(Database.DataDirectory, srpm.Sha256))).Should().BeEquivalentTo(["greet-1.0.tar.gz", "greet.conf", "greet.spec"]);

        var rpm = build.Tasks.Single(t => t.Arch == "x86_64").Artifacts.Should().ContainSingle(a => a.Type == "rpm").Subject;
        rpm.Name.Should().Be("greet-1.0-1.demo1.x86_64.rpm");
        (await LookasideBuildKit.FileDigestAsync(LookasideBuildKit.Stored(Database.DataDirectory, rpm.Sha256), "/usr/share/greet/greet.txt"))
            .Should().Be(LookasideBuildKit.Digest(Text), "the packaged file is the one from the lookaside tarball");
    }

    [Fact]
    public async Task A_SPECS_and_SOURCES_package_gets_the_tarball_its_metadata_file_names_next_to_its_git_sources()
    {
        var text = "version two, from SOURCES\n";
        var tarball = LookasideBuildKit.Tarball("greet-2.0", ("greet.txt", text));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(tarball));
        await UploadAsync("greet-2.0.tar.gz", "sha256", sha256, tarball);
        await greet.CommitAsync(
            "import greet 2.0",
            ("SPECS/greet.spec", Fixture("greet.spec").Replace("Version: 1.0", "Version: 2.0", StringComparison.Ordinal)),
            ("SOURCES/greet.conf", "greeting=hello\n"),
            (".greet.metadata", $"{sha256} SOURCES/greet-2.0.tar.gz\n"));

        var build = await WaitForEndAsync((await SubmitAsync(Demo(greet.Url))).Id);

        build.Status.Should().Be("completed", string.Join("; ", build.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        var srpmTask = build.Tasks.Single(t => t.Arch == "src");
        (await LookasideBuildKit.LogAsync(Database.DataDirectory, build.Id, srpmTask.Id)).Should().Contain("albs: lookaside greet-2.0.tar.gz sha256 ok");
        var rpm = build.Tasks.Single(t => t.Arch == "x86_64").Artifacts.Single(a => a.Type == "rpm");
        rpm.Nevra.Should().Be("greet-2.0-1.demo1.x86_64");
        (await LookasideBuildKit.FileDigestAsync(LookasideBuildKit.Stored(Database.DataDirectory, rpm.Sha256), "/usr/share/greet/greet.txt"))
            .Should().Be(LookasideBuildKit.Digest(text));
    }

    [Fact]
    public async Task A_tarball_missing_from_the_lookaside_fails_the_srpm_task_with_the_file_in_the_error_and_the_log()
    {
        var sha512 = Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes("never uploaded")));
        await greet.CommitAsync("import greet", ("greet.spec", Fixture("greet.spec")), ("greet.conf", ""), ("sources", $"SHA512 (greet-1.0.tar.gz) = {sha512}\n"));

        var build = await WaitForEndAsync((await SubmitAsync(Demo(greet.Url))).Id);

        build.Status.Should().Be("failed");
        var srpmTask = build.Tasks.Single(t => t.Arch == "src");
        var expected = $"lookaside: greet-1.0.tar.gz (sha512 {sha512}) is not in this server's lookaside, and Builds:LookasideUrl is not set; upload it with PUT /api/v1/lookaside/greet/greet-1.0.tar.gz/sha512/{sha512}";
        srpmTask.Error.Should().Be(expected);
        (await LookasideBuildKit.LogAsync(Database.DataDirectory, build.Id, srpmTask.Id)).Should().Contain($"albs: task failed: {expected}");
        build.Tasks.Single(t => t.Arch == "x86_64").Error.Should().Be("the SRPM task of this source failed");
    }

    [Fact]
    public async Task A_malformed_sources_line_fails_the_srpm_task_naming_file_and_line()
    {
        await greet.CommitAsync("import greet", ("greet.spec", Fixture("greet.spec")), ("greet.conf", ""), ("sources", $"\nSHA512 (../../.ssh/authorized_keys) = {new string('a', 128)}\n"));

        var build = await WaitForEndAsync((await SubmitAsync(Demo(greet.Url))).Id);

        build.Tasks.Single(t => t.Arch == "src").Error.Should().Be("lookaside: sources line 2: '../../.ssh/authorized_keys' is not a plain file name");
    }
}

/// <summary>Tarballs, logs and RPM contents for the lookaside build tests.</summary>
internal static class LookasideBuildKit
{
    private static readonly ProcessRunner Runner = new();

    /// <summary>A .tar.gz with one top directory, as upstream tarballs are.</summary>
    public static byte[] Tarball(string topDirectory, params (string Name, string Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, topDirectory + "/") { Mode = (UnixFileMode)0b111_101_101 });
            foreach (var (name, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{topDirectory}/{name}")
                {
                    Mode = (UnixFileMode)0b110_100_100,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                });
            }
        }

        return buffer.ToArray();
    }

    public static string Stored(string dataDirectory, string sha256) => Path.Combine(dataDirectory, "sha256", sha256[..2], sha256[2..]);

    /// <summary>The first attempt's log as stored (plain while it runs, compressed after), read as text.</summary>
    public static async Task<string> LogAsync(string dataDirectory, long buildId, long taskId)
    {
        var path = Path.Combine(dataDirectory, "logs", $"build-{buildId}", $"task-{taskId}", "build.1.log");
        using var reader = new StreamReader(Albs.Modules.Builds.Logs.LogFiles.OpenRead(path) ?? throw new FileNotFoundException("no log", path));
        return await reader.ReadToEndAsync();
    }

    /// <summary>The sha256 of a text, as rpm records file digests.</summary>
    public static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The files of a package (<c>rpm -qpl</c>).</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(string rpm) =>
        (await RpmAsync("-qpl", rpm)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The digest rpm recorded for one packaged file (<c>rpm -qp --dump</c>: path size mtime digest …).</summary>
    public static async Task<string> FileDigestAsync(string rpm, string path)
    {
        var line = (await RpmAsync("--dump", rpm)).Split('\n').Single(l => l.StartsWith(path + " ", StringComparison.Ordinal));
        return line.Split(' ')[3];
    }

    private static async Task<string> RpmAsync(string query, string rpm)
    {
        var result = await Runner.RunCapturedAsync(new ProcessSpec("rpm", ["-qp", query, "--", rpm]));
        result.Succeeded.Should().BeTrue(result.StandardError);
        return result.StandardOutput;
    }
}

/// <summary>
/// A lookaside reached over HTTP: <c>Builds:LookasideUrl</c> points at a small Kestrel server in
/// Fedora's layout; tarballs are downloaded, verified, cached and built on a real agent.
/// </summary>
public sealed class LookasideRemoteBuildTests : Agents.AgentWebTest
{
    private readonly Dictionary<string, string?> settings;
    private LookasideHttpServer upstream = null!;
    private TestGitRepository greet = null!;

    public LookasideRemoteBuildTests()
        : this(new Dictionary<string, string?>(Agents.AgentTestKit.FastProbe) { ["Builds:AllowFileUrls"] = "true" })
    {
    }

    private LookasideRemoteBuildTests(Dictionary<string, string?> settings)
        : base(settings) => this.settings = settings;

    public override async Task InitializeAsync()
    {
        upstream = await LookasideHttpServer.StartAsync();
        settings["Builds:LookasideUrl"] = upstream.Url + "/repo/pkgs/{name}/{filename}/{hashtype}/{hash}/{filename}";
        await base.InitializeAsync();
        greet = await TestGitRepository.CreateAsync("greet");
        await Agents.AgentTestKit.RegisterAsync(App, Agent, "builder1");
        await Agents.AgentTestKit.WaitForStateAsync(App, "builder1", "online");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await upstream.DisposeAsync();
        greet?.Dispose();
    }

    private async Task<BuildResponse> BuildAsync()
    {
        var submitted = await App.AdminClient().PostAsJsonAsync("/api/v1/builds", BuildAgentTest.Demo(greet.Url));
        var id = (await submitted.Content.ReadFromJsonAsync<BuildResponse>())!.Id;
        BuildResponse? build = null;
        await Eventually.TrueAsync(
            async () => (build = await App.Client().GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{id}"))!.Status is "completed" or "failed" or "cancelled",
            $"build {id} finishes",
            TimeSpan.FromMinutes(3));
        return build!;
    }

    [Fact]
    public async Task A_tarball_is_downloaded_from_the_lookaside_url_verified_built_and_reused_from_the_cache()
    {
        var text = "downloaded over http\n";
        var tarball = LookasideBuildKit.Tarball("greet-1.0", ("greet.txt", text));
        var sha512 = Convert.ToHexStringLower(SHA512.HashData(tarball));
        var path = $"/repo/pkgs/greet/greet-1.0.tar.gz/sha512/{sha512}/greet-1.0.tar.gz";
        upstream.Files[path] = tarball;
        await greet.CommitAsync("import greet", ("greet.spec", Fixture()), ("greet.conf", ""), ("sources", $"SHA512 (greet-1.0.tar.gz) = {sha512}\n"));

        var first = await BuildAsync();
        var second = await BuildAsync();

        first.Status.Should().Be("completed", string.Join("; ", first.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        (await LookasideBuildKit.LogAsync(Database.DataDirectory, first.Id, first.Tasks.Single(t => t.Arch == "src").Id))
            .Should().Contain($"albs: lookaside greet-1.0.tar.gz sha512 ok (downloaded from {upstream.Url}{path})");
        var rpm = first.Tasks.Single(t => t.Arch == "x86_64").Artifacts.Single(a => a.Type == "rpm");
        (await LookasideBuildKit.FileDigestAsync(LookasideBuildKit.Stored(Database.DataDirectory, rpm.Sha256), "/usr/share/greet/greet.txt"))
            .Should().Be(LookasideBuildKit.Digest(text));

        second.Status.Should().Be("completed");
        (await LookasideBuildKit.LogAsync(Database.DataDirectory, second.Id, second.Tasks.Single(t => t.Arch == "src").Id))
            .Should().Contain("albs: lookaside greet-1.0.tar.gz sha512 ok (from this server's lookaside)");
        upstream.Requests.Should().ContainSingle("the verified download is kept and served to the second build");
    }

    [Fact]
    public async Task A_tarball_that_does_not_match_its_checksum_fails_the_srpm_task_with_both_hashes_in_the_log()
    {
        var tarball = LookasideBuildKit.Tarball("greet-1.0", ("greet.txt", "the real one\n"));
        var impostor = LookasideBuildKit.Tarball("greet-1.0", ("greet.txt", "a replaced one\n"));
        var sha512 = Convert.ToHexStringLower(SHA512.HashData(tarball));
        upstream.Files[$"/repo/pkgs/greet/greet-1.0.tar.gz/sha512/{sha512}/greet-1.0.tar.gz"] = impostor;
        await greet.CommitAsync("import greet", ("greet.spec", Fixture()), ("greet.conf", ""), ("sources", $"SHA512 (greet-1.0.tar.gz) = {sha512}\n"));

        var build = await BuildAsync();

        build.Status.Should().Be("failed");
        var srpmTask = build.Tasks.Single(t => t.Arch == "src");
        var mismatch = $"checksum mismatch: expected sha512 {sha512}, got {Convert.ToHexStringLower(SHA512.HashData(impostor))}";
        srpmTask.Error.Should().StartWith("lookaside: greet-1.0.tar.gz from http://127.0.0.1:").And.EndWith(mismatch);
        (await LookasideBuildKit.LogAsync(Database.DataDirectory, build.Id, srpmTask.Id)).Should().Contain($"albs: task failed: {srpmTask.Error}");
        srpmTask.Artifacts.Should().BeEmpty();
        Directory.GetFiles(Path.Combine(Database.DataDirectory, "lookaside"), "*", SearchOption.AllDirectories).Should().BeEmpty("a file that failed verification is never kept");
    }

    private static string Fixture() => BuildAgentTest.Fixture("greet.spec");
}
