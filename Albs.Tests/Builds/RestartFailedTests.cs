using System.Net;

namespace Albs.Tests.Builds;

public sealed class RestartFailedTests : BuildAgentTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterAgentAsync("builder1");
    }

    [Fact]
    public async Task Failed_tasks_run_again_from_the_same_commit_and_completed_ones_are_kept()
    {
        // The build fails until a file appears on the agent: an environmental failure a restart can fix.
        var spec = Fixture("hello.spec").Replace(
            "gcc -O2 -o hello hello.c",
            "test -f \"$HOME/allow-build\" || { echo 'albs-test: not allowed yet'; exit 1; }\ngcc -O2 -o hello hello.c",
            StringComparison.Ordinal);
        await Hello.CommitAsync("guarded build", ("hello.spec", spec));
        var build = await SubmitAsync(Demo(Hello.Url));
        var failed = await WaitForEndAsync(build.Id);
        failed.Status.Should().Be("failed");
        var srpmId = failed.Tasks.Single(t => t.Arch == "src").Id;

        await File.WriteAllTextAsync(Path.Combine(Agent.WorkDirectory, "allow-build"), "yes");
        var response = await App.AdminClient().PostAsync($"/api/v1/builds/{build.Id}/restart-failed", null);
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var done = await WaitForEndAsync(build.Id);
        done.Status.Should().Be("completed", string.Join("; ", done.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        var x86 = done.Tasks.Single(t => t.Arch == "x86_64");
        x86.Attempt.Should().Be(2);
        x86.Logs.Should().Equal("build.1.log", "build.2.log");
        done.Tasks.Single(t => t.Id == srpmId).Attempt.Should().Be(1, "the completed SRPM task is not rebuilt");

        (await App.AdminClient().PostAsync($"/api/v1/builds/{build.Id}/restart-failed", null)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await App.Client().PostAsync($"/api/v1/builds/{build.Id}/restart-failed", null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
