using System.Net;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Common.Processes;
using Albs.Tests.Support;

namespace Albs.Tests.Builds;

public sealed class CancelBuildTests : BuildAgentTest
{
    private const string Marker = "sleep 3017";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterAgentAsync("builder1");
    }

    private static async Task<bool> SleepRunsAsync() =>
        (await new ProcessRunner().RunAsync(new ProcessSpec("pgrep", ["-f", Marker]))).ExitCode == 0;

    [Fact]
    public async Task Cancel_stops_a_running_rpmbuild_on_the_agent_and_publishes_nothing()
    {
        var spec = Fixture("hello.spec").Replace("gcc -O2 -o hello hello.c", $"echo albs-build-started; {Marker}", StringComparison.Ordinal);
        await Hello.CommitAsync("slow build", ("hello.spec", spec));
        var build = await SubmitAsync(Demo(Hello.Url));
        BuildTaskResponse? x86 = null;
        await Eventually.TrueAsync(async () =>
        {
            x86 = (await GetAsync(build.Id)).Tasks.Single(t => t.Arch == "x86_64");
            return x86.Status == "started" && x86.Logs.Count > 0
                && (await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/{x86.Logs[0]}")).Contains("albs-build-started", StringComparison.Ordinal);
        }, "the rebuild is running %build");
        (await SleepRunsAsync()).Should().BeTrue();

        var response = await App.AdminClient().PostAsync($"/api/v1/builds/{build.Id}/cancel", null);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        await Eventually.TrueAsync(async () => !await SleepRunsAsync(), "the build's processes on the agent are gone", TimeSpan.FromSeconds(30));
        var cancelled = await WaitForEndAsync(build.Id);
        cancelled.Status.Should().Be("cancelled");
        var task = cancelled.Tasks.Single(t => t.Id == x86!.Id);
        task.Status.Should().Be("cancelled");
        task.Error.Should().Be("cancelled by admin");
        task.Artifacts.Should().BeEmpty();
        cancelled.Tasks.Single(t => t.Arch == "src").Status.Should().Be("completed", "what had finished stays finished");

        (await App.AdminClient().PostAsync($"/api/v1/builds/{build.Id}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await App.Client().PostAsync($"/api/v1/builds/{build.Id}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await App.AdminClient().PostAsync("/api/v1/builds/999999/cancel", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Cancelling_a_waiting_build_cancels_its_idle_tasks()
    {
        var build = await SubmitAsync(Demo(Hello.Url) with { Platforms = [new BuildPlatformRequest("AlmaLinux-9", ["aarch64"])] });
        var response = await App.AdminClient().PostAsync($"/api/v1/builds/{build.Id}/cancel", null);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var cancelled = await WaitForEndAsync(build.Id);
        cancelled.Status.Should().Be("cancelled");
        cancelled.Tasks.Where(t => t.Arch == "aarch64").Should().OnlyContain(t => t.Status == "cancelled");
    }
}
