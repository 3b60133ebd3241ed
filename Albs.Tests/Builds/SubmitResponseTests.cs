using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Tests.Support;

namespace Albs.Tests.Builds;

/// <summary>A submission is answered from the build as written, without reading it back: the answer must be what a read shows.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SubmitResponseTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task The_answer_to_a_submission_is_the_build_as_a_read_of_it_shows_it(string provider)
    {
        using var database = provider == "postgres" ? await TestDatabase.PostgresAsync(postgres.Server) : TestDatabase.Sqlite();
        using var app = new AlbsWebApp(database, new Dictionary<string, string?> { ["Builds:AllowFileUrls"] = "true" });
        using var zlib = await TestGitRepository.CreateAsync("zlib");
        await zlib.CommitAsync("import zlib", ("SPECS/zlib.spec", "Name: zlib\n"));
        using var bash = await TestGitRepository.CreateAsync("bash");
        await bash.CommitAsync("import bash", ("bash.spec", "Name: bash\n"));

        // Two chained sources on two arches (SRPM and chain dependencies between the tasks), options,
        // a priority, and a linked build. No agent is registered: nothing starts in between.
        var first = await app.AdminClient().PostAsJsonAsync("/api/v1/builds", BuildAgentTest.Demo(zlib.Url));
        first.StatusCode.Should().Be(HttpStatusCode.Created, await first.Content.ReadAsStringAsync());
        var linked = (await first.Content.ReadFromJsonAsync<BuildResponse>())!.Id;
        var request = new SubmitBuildRequest(
            [new BuildPlatformRequest("AlmaLinux-9", ["x86_64", "aarch64"])],
            [new BuildSourceRequest(zlib.Url, "main"), new BuildSourceRequest(bash.Url, "main")],
            false,
            new MockOptionsRequest(["tests"], ["docs"], new Dictionary<string, string> { ["vendor"] = "Albs" }),
            [linked],
            Priority: 3,
            Product: "demo");

        var response = await app.AdminClient().PostAsJsonAsync("/api/v1/builds", request);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var answered = await response.Content.ReadAsStringAsync();
        var build = (await response.Content.ReadFromJsonAsync<BuildResponse>())!;
        var read = await app.Client().GetStringAsync($"/api/v1/builds/{build.Id}");

        answered.Should().Be(read);
        build.Tasks.Should().HaveCount(6);
        build.Tasks.Should().OnlyContain(t => t.Status == "idle" && t.Attempt == 0);
        build.Tasks.Count(t => t.SrpmTaskId != null).Should().Be(4);
        build.Tasks.Count(t => t.AfterTaskId != null).Should().Be(2);
        build.Priority.Should().Be(3);
        build.LinkedBuilds.Should().Equal(linked);
    }
}
