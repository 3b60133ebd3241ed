using Albs.Modules.Builds.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Support;

namespace Albs.Tests.Builds;

/// <summary>An agent dies in the middle of a build: its sshd and every session it serves are killed.</summary>
public sealed class AgentFailoverTests : BuildAgentTest
{
    private SshAgentServer second = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        second = await SshAgentServer.StartAsync();
        await RegisterAgentAsync("builder1");
        await AgentTestKit.RegisterAsync(App, second, "builder2");
        await AgentTestKit.WaitForStateAsync(App, "builder2", "online");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            second?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    [Fact]
    public async Task A_task_whose_agent_dies_is_retried_on_another_agent_and_the_build_completes()
    {
        // %build stalls only where a "slow" file sits in the agent's home, so the first attempt hangs
        // until its agent is killed, and the retry on the survivor runs through.
        var spec = Fixture("hello.spec").Replace(
            "gcc -O2 -o hello hello.c",
            "if [ -e \"$HOME/slow\" ]; then echo albs-stalled; sleep 3023; fi; gcc -O2 -o hello hello.c",
            StringComparison.Ordinal);
        await Hello.CommitAsync("stall on slow agents", ("hello.spec", spec));
        var agents = new Dictionary<string, SshAgentServer> { ["builder1"] = Agent, ["builder2"] = second };
        foreach (var agent in agents.Values)
        {
            await File.WriteAllTextAsync(Path.Combine(agent.WorkDirectory, "slow"), "");
        }

        var build = await SubmitAsync(Demo(Hello.Url));
        BuildTaskResponse? x86 = null;
        await Eventually.TrueAsync(async () =>
        {
            x86 = (await GetAsync(build.Id)).Tasks.Single(t => t.Arch == "x86_64");
            return x86.Status == "started" && x86.Logs.Count > 0
                && (await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log")).Contains("albs-stalled", StringComparison.Ordinal);
        }, "the first attempt stalls in %build");
        var doomed = x86!.Agent!;
        var survivor = agents.Keys.Single(name => name != doomed);
        File.Delete(Path.Combine(agents[survivor].WorkDirectory, "slow"));

        await agents[doomed].StopAsync();

        var done = await WaitForEndAsync(build.Id);
        done.Status.Should().Be("completed", string.Join("; ", done.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        var retried = done.Tasks.Single(t => t.Id == x86.Id);
        retried.Attempt.Should().Be(2, "the lost attempt is counted");
        retried.Agent.Should().Be(survivor);
        retried.Logs.Should().Equal("build.1.log", "build.2.log");
        retried.Artifacts.Select(a => a.Name).Should().BeEquivalentTo(["hello-1.0-1.demo1.x86_64.rpm", "hello-devel-1.0-1.demo1.x86_64.rpm"]);
        var firstLog = await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log");
        firstLog.Should().Contain("albs-stalled").And.Contain($"agent {doomed} became unreachable");
        var agentList = await App.Client().GetStringAsync("/api/v1/agents");
        agentList.Should().Contain("\"offline\"");
    }
}
