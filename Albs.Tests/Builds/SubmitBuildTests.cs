using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Mvc;

namespace Albs.Tests.Builds;

/// <summary>Build submission through the API against real git repositories.</summary>
public sealed class SubmitBuildTests : IAsyncLifetime, IDisposable
{
    private readonly TestDatabase database = TestDatabase.Sqlite();
    private AlbsWebApp app = null!;
    private TestGitRepository bash = null!;
    private TestGitRepository zlib = null!;
    private string bashCommit = "";

    public async Task InitializeAsync()
    {
        app = new AlbsWebApp(database, new Dictionary<string, string?> { ["Builds:AllowFileUrls"] = "true" });
        bash = await TestGitRepository.CreateAsync("bash");
        bashCommit = await bash.CommitAsync("import bash", ("bash.spec", "Name: bash\n"));
        await bash.GitAsync("branch", "c9");
        zlib = await TestGitRepository.CreateAsync("zlib");
        await zlib.CommitAsync("import zlib", ("SPECS/zlib.spec", "Name: zlib\n"));
        await zlib.GitAsync("tag", "-a", "-m", "import", "imports/c9/zlib-1.2.11-40.el9");
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        app?.Dispose();
        database.Dispose();
        bash?.Dispose();
        zlib?.Dispose();
    }

    private SubmitBuildRequest Request(bool independent = false) => new(
        [new BuildPlatformRequest("AlmaLinux-9", ["x86_64", "aarch64"])],
        [new BuildSourceRequest(zlib.Url, "imports/c9/zlib-1.2.11-40.el9"), new BuildSourceRequest(bash.Url, "c9")],
        independent,
        new MockOptionsRequest(["tests"], ["docs"], new Dictionary<string, string> { ["vendor"] = "Albs" }),
        Product: "demo");

    [Fact]
    public async Task A_build_of_two_chained_git_sources_is_planned_with_recorded_commits()
    {
        var response = await app.AdminClient().PostAsJsonAsync("/api/v1/builds", Request());
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var build = (await response.Content.ReadFromJsonAsync<BuildResponse>())!;
        response.Headers.Location!.ToString().Should().Be($"/api/v1/builds/{build.Id}");

        build.Status.Should().Be("idle");
        build.CreatedBy.Should().Be("admin");
        build.Sources.Select(s => (s.Index, s.Ref, s.RefKind)).Should().Equal((0, "imports/c9/zlib-1.2.11-40.el9", "tag"), (1, "c9", "branch"));
        build.Sources[1].Commit.Should().Be(bashCommit);
        build.MockOptions.With.Should().Equal("tests");
        build.Tasks.Select(t => (t.SourceIndex, t.Arch)).Should().Equal((0, "src"), (0, "x86_64"), (0, "aarch64"), (1, "src"), (1, "x86_64"), (1, "aarch64"));
        build.Tasks.Should().OnlyContain(t => t.Status == "idle" && t.Attempt == 0 && t.Platform == "AlmaLinux-9");
        var zlibX86 = build.Tasks.Single(t => t.SourceIndex == 0 && t.Arch == "x86_64");
        var bashX86 = build.Tasks.Single(t => t.SourceIndex == 1 && t.Arch == "x86_64");
        bashX86.AfterTaskId.Should().Be(zlibX86.Id, "chained sources wait for the previous source on the same arch");
        bashX86.SrpmTaskId.Should().Be(build.Tasks.Single(t => t.SourceIndex == 1 && t.Arch == "src").Id);
        bashX86.Commit.Should().Be(bashCommit);

        var fetched = await app.Client().GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{build.Id}");
        fetched!.Tasks.Should().HaveCount(6, "anyone can read a build without an account");
    }

    [Fact]
    public async Task Independent_sources_depend_only_on_their_srpm()
    {
        var build = await (await app.AdminClient().PostAsJsonAsync("/api/v1/builds", Request(independent: true))).Content.ReadFromJsonAsync<BuildResponse>();
        build!.IndependentTasks.Should().BeTrue();
        build.Tasks.Should().OnlyContain(t => t.AfterTaskId == null);
    }

    [Fact]
    public async Task Anonymous_submission_is_401()
    {
        (await app.Client().PostAsJsonAsync("/api/v1/builds", Request())).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Invalid_requests_get_errors_per_field_and_create_nothing()
    {
        var marker = Path.Combine(bash.Directory, "PWNED");
        var request = new SubmitBuildRequest(
            [new BuildPlatformRequest("AlmaLinux-99", ["x86_64"]), new BuildPlatformRequest("AlmaLinux-9", ["sparc"])],
            [
                new BuildSourceRequest(bash.Url, $"main;touch {marker}"),
                new BuildSourceRequest(bash.Url, $"--upload-pack=touch {marker}"),
                new BuildSourceRequest($"ext::sh -c touch% {marker}", "main"),
                new BuildSourceRequest(bash.Url, "no-such-branch"),
                new BuildSourceRequest(bash.Url, "main", "https://example.org/x.src.rpm"),
                new BuildSourceRequest(null, null, "https://example.org/notes.txt"),
                new BuildSourceRequest(bash.Url, $"$(touch {marker})"),
                new BuildSourceRequest($"ext::touch {marker}", "main"),
            ],
            MockOptions: new MockOptionsRequest(["bad name"], null, new Dictionary<string, string> { ["1x"] = "y" }),
            LinkedBuilds: [424242],
            Priority: 99,
            Product: "demo");

        var response = await app.AdminClient().PostAsJsonAsync("/api/v1/builds", request);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        problem.Errors.Keys.Should().Contain([
            "platforms[0].name", "platforms[1].arches", "tasks[0].ref", "tasks[1].ref", "tasks[2].url", "tasks[3].ref",
            "tasks[4]", "tasks[5].srpmUrl", "tasks[6].ref", "tasks[7].url", "linkedBuilds", "priority",
        ]);
        problem.Errors["platforms[1].arches"].Single().Should().Contain("does not build sparc");
        problem.Errors["tasks[3].ref"].Single().Should().Be("no branch or tag 'no-such-branch' in the repository");
        problem.Errors["linkedBuilds"].Single().Should().Be("build 424242 does not exist");

        (await app.Client().GetFromJsonAsync<BuildListResponse>("/api/v1/builds"))!.Total.Should().Be(0);
        File.Exists(marker).Should().BeFalse("nothing a request contains is ever executed");
    }

    [Fact]
    public async Task Mock_options_are_validated_per_field()
    {
        var request = Request() with { MockOptions = new MockOptionsRequest(["bad name"], null, new Dictionary<string, string> { ["1x"] = "y" }) };
        var problem = await (await app.AdminClient().PostAsJsonAsync("/api/v1/builds", request)).Content.ReadFromJsonAsync<ValidationProblemDetails>();
        problem!.Errors.Keys.Should().Contain(k => k.StartsWith("mockOptions.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_srpm_url_is_a_source_too()
    {
        var request = new SubmitBuildRequest([new BuildPlatformRequest("AlmaLinux-9", ["x86_64"])], [new BuildSourceRequest(null, null, "https://example.org/pub/bash-5.1.8-9.el9.src.rpm")], Product: "demo");
        var build = await (await app.AdminClient().PostAsJsonAsync("/api/v1/builds", request)).Content.ReadFromJsonAsync<BuildResponse>();
        build!.Sources.Single().Kind.Should().Be("srpm");
        build.Tasks.Select(t => t.Arch).Should().Equal("src", "x86_64");
    }

    [Fact]
    public async Task The_list_filters_and_pages_and_unknown_builds_are_404()
    {
        var admin = app.AdminClient();
        await admin.PostAsJsonAsync("/api/v1/builds", Request());
        await admin.PostAsJsonAsync("/api/v1/builds", Request() with { Tasks = [new BuildSourceRequest(bash.Url, "main")] });
        await admin.PostAsJsonAsync("/api/v1/builds", Request() with { Platforms = [new BuildPlatformRequest("AlmaLinux-8", ["x86_64"])], Tasks = [new BuildSourceRequest(zlib.Url, "main")] });
        var anonymous = app.Client();

        (await anonymous.GetFromJsonAsync<BuildListResponse>("/api/v1/builds"))!.Total.Should().Be(3);
        (await anonymous.GetFromJsonAsync<BuildListResponse>("/api/v1/builds?package=bash"))!.Total.Should().Be(2);
        (await anonymous.GetFromJsonAsync<BuildListResponse>("/api/v1/builds?platform=AlmaLinux-8"))!.Items.Single().Packages.Should().Equal("zlib");
        (await anonymous.GetFromJsonAsync<BuildListResponse>("/api/v1/builds?arch=aarch64"))!.Total.Should().Be(2);
        (await anonymous.GetFromJsonAsync<BuildListResponse>("/api/v1/builds?createdBy=admin&status=idle"))!.Total.Should().Be(3);
        var page = await anonymous.GetFromJsonAsync<BuildListResponse>("/api/v1/builds?pageSize=2&page=2");
        page!.Items.Should().ContainSingle();
        page.Items[0].Id.Should().BeLessThan((await anonymous.GetFromJsonAsync<BuildListResponse>("/api/v1/builds?pageSize=2"))!.Items[1].Id);
        (await anonymous.GetAsync("/api/v1/builds?pageSize=1000")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await anonymous.GetAsync("/api/v1/builds/999999")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
