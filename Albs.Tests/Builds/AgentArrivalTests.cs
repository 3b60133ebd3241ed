using Albs.Tests.Agents;

namespace Albs.Tests.Builds;

/// <summary>Work waits for an agent, and starts when one arrives, without a polling interval.</summary>
public sealed class AgentArrivalTests : BuildAgentTest
{
    [Fact]
    public async Task A_build_submitted_before_any_agent_starts_when_an_agent_comes_online()
    {
        var build = await SubmitAsync(Demo(Hello.Url));
        await Task.Delay(500);
        (await GetAsync(build.Id)).Tasks.Should().OnlyContain(t => t.Status == "idle", "no agent exists yet");

        await AgentTestKit.RegisterAsync(App, Agent, "late");

        // The dispatcher's own periodic wake is two minutes away: only the agent's state-change
        // event can start the build within this limit.
        (await WaitForEndAsync(build.Id, TimeSpan.FromSeconds(60))).Status.Should().Be("completed");
    }
}
