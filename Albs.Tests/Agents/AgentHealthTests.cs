using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Common.Events;
using Albs.Tests.Support;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Agents;

public sealed class AgentHealthTests : AgentWebTest
{
    [Fact]
    public async Task An_agent_that_dies_goes_offline_and_comes_back_online()
    {
        await AgentTestKit.RegisterAsync(App, Agent, "a1");
        await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Online);

        await Agent.StopAsync();
        var offline = await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Offline);
        offline.LastError.Should().Contain("Connection refused");
        await FluentActions.Awaiting(() => App.Services.GetRequiredService<IAgentShell>().RunAsync("a1", ["true"]))
            .Should().ThrowAsync<AgentUnreachableException>().WithMessage("*a1*unreachable*");

        await Agent.StartAgainAsync();
        (await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Online)).LastError.Should().BeNull();
    }

    [Fact]
    public async Task How_to_reach_an_agent_and_its_ssh_errors_are_shown_to_superusers_only()
    {
        await AgentTestKit.RegisterAsync(App, Agent, "a1");
        await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Online);
        await Agent.StopAsync();
        var seenByAdmin = await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Offline);
        seenByAdmin.Should().BeEquivalentTo(new { Host = Agent.Host, Port = Agent.Port, User = Agent.User, WorkDirectory = Agent.WorkDirectory });
        seenByAdmin.LastError.Should().Contain("Connection refused").And.Contain(Agent.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Anyone else (anonymous, or signed in without agents.manage) sees the agent's state, arches,
        // slots and tasks, not its address, user, directory or the ssh error naming them.
        using var member = await RbacKit.UserAsync(App, "member1");
        foreach (var client in new[] { App.Client(), member })
        {
            var one = (await client.GetFromJsonAsync<AgentResponse>("/api/v1/agents/a1"))!;
            var listed = (await client.GetFromJsonAsync<List<AgentResponse>>("/api/v1/agents"))!.Single();
            foreach (var agent in new[] { one, listed })
            {
                agent.State.Should().Be(AgentStates.Offline);
                agent.Arches.Should().Equal(seenByAdmin.Arches);
                agent.Should().BeEquivalentTo(new { Host = (string?)null, Port = (int?)null, User = (string?)null, WorkDirectory = (string?)null, LastError = (string?)null });
            }

            var raw = await client.GetStringAsync("/api/v1/agents") + await client.GetStringAsync("/agents");
            var port = Agent.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            raw.Should().NotContain($"\"port\":{port}").And.NotContain($"port {port}").And.NotContain("Connection refused")
                .And.NotContain(Agent.WorkDirectory);
        }

        (await App.AdminClient().GetStringAsync("/agents")).Should().Contain("Connection refused", "a superuser sees why the agent is offline on the page too");
    }

    [Fact]
    public async Task A_changed_host_key_is_refused_until_a_superuser_pins_the_new_one()
    {
        var shell = App.Services.GetRequiredService<IAgentShell>();
        await AgentTestKit.RegisterAsync(App, Agent, "a1");
        await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Online);
        var oldPin = Agent.HostKeyLine;

        await Agent.RegenerateHostKeyAsync();
        var mismatch = await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.HostKeyMismatch);
        mismatch.LastError.Should().Contain("host key mismatch").And.Contain("SHA256:");
        var refused = await FluentActions.Awaiting(() => shell.RunAsync("a1", ["true"])).Should().ThrowAsync<AgentHostKeyMismatchException>();
        refused.Which.Message.Should().Contain("a1").And.Contain("pin").And.Contain("PUT /api/v1/agents/a1");
        await FluentActions.Awaiting(() => shell.RunScriptWithStreamsAsync("a1", "cat", [], (_, _) => Task.CompletedTask, (_, _) => Task.CompletedTask))
            .Should().ThrowAsync<AgentHostKeyMismatchException>();

        await Task.Delay(1000);
        (await AgentTestKit.GetAsync(App, "a1")).State.Should().Be(AgentStates.HostKeyMismatch, "the probe never clears a mismatch");
        (await App.Client().PutAsJsonAsync("/api/v1/agents/a1", new UpdateAgentRequest(HostKey: Agent.HostKeyLine))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await App.AdminClient().PutAsJsonAsync("/api/v1/agents/a1", new UpdateAgentRequest(HostKey: oldPin))).EnsureSuccessStatusCode();
        await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.HostKeyMismatch);

        var repinned = await App.AdminClient().PutAsJsonAsync("/api/v1/agents/a1", new UpdateAgentRequest(HostKey: Agent.HostKeyLine));
        repinned.StatusCode.Should().Be(HttpStatusCode.OK);
        await AgentTestKit.WaitForStateAsync(App, "a1", AgentStates.Online);
        (await shell.RunAsync("a1", ["true"])).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task The_directory_lists_usable_agents_and_takes_failure_reports()
    {
        var recorded = new ConcurrentQueue<AgentStateChangedEvent>();
        using var app = App.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton(recorded);
            s.AddEventHandler<AgentStateChangedEvent, RecordingHandler>();
        }));
        await using var second = await SshAgentServer.StartAsync();
        var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AlbsWebApp.AdminToken);
        (await admin.PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(Agent, "a1"))).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(second, "a2") with { Arches = ["aarch64"], Slots = 4 })).EnsureSuccessStatusCode();
        var directory = app.Services.GetRequiredService<IAgentDirectory>();

        await Eventually.TrueAsync(async () => (await directory.ListUsableAsync()).Count == 2, "both agents are usable");
        var a2 = (await directory.FindAsync("a2"))!;
        a2.Should().BeEquivalentTo(new { Name = "a2", Arches = new[] { "aarch64" }, Slots = 4, IsUsable = true, WorkDirectory = second.WorkDirectory });
        a2.Load1.Should().NotBeNull();

        (await admin.PutAsJsonAsync("/api/v1/agents/a1", new UpdateAgentRequest(Maintenance: true))).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync("/api/v1/agents/a2", new UpdateAgentRequest(Enabled: false))).EnsureSuccessStatusCode();
        (await directory.ListUsableAsync()).Should().BeEmpty();
        (await directory.ListAsync()).Select(a => a.Name).Should().Equal("a1", "a2");
        (await admin.PutAsJsonAsync("/api/v1/agents/a1", new UpdateAgentRequest(Maintenance: false))).EnsureSuccessStatusCode();

        await directory.ReportFailureAsync("a1", "build lost its connection");
        await directory.ReportFailureAsync("unknown", "ignored");
        await Eventually.TrueAsync(() => Task.FromResult(recorded.Any(e => e is { Name: "a1", State: AgentStates.Offline })), "the offline event is delivered");
        recorded.Single(e => e is { Name: "a1", State: AgentStates.Offline }).Error.Should().Contain("build lost its connection");
        await Eventually.TrueAsync(async () => (await directory.ListUsableAsync()).Select(a => a.Name).SequenceEqual(["a1"]), "the probe brings a1 back");
    }

    internal sealed class RecordingHandler(ConcurrentQueue<AgentStateChangedEvent> recorded) : IEventHandler<AgentStateChangedEvent>
    {
        public Task HandleAsync(AgentStateChangedEvent @event, EventContext context, CancellationToken cancellationToken)
        {
            recorded.Enqueue(@event);
            return Task.CompletedTask;
        }
    }
}
