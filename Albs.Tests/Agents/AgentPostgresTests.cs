using Albs.Modules.Agents.Contracts;
using Albs.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Agents;

[Collection(PostgresCollection.Name)]
public sealed class AgentPostgresTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Agents_register_probe_and_run_commands_on_postgres()
    {
        await using var agent = await SshAgentServer.StartAsync();
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        using var app = new AlbsWebApp(database, AgentTestKit.FastProbe);
        await AgentTestKit.RegisterAsync(app, agent, "pg1");
        (await AgentTestKit.WaitForStateAsync(app, "pg1", AgentStates.Online)).Load.Should().NotBeNull();

        var lines = new List<string>();
        var result = await app.Services.GetRequiredService<IAgentShell>().RunAsync("pg1", ["echo", "on postgres"], line =>
        {
            lines.Add(line.Text);
            return ValueTask.CompletedTask;
        });
        result.ExitCode.Should().Be(0);
        lines.Should().Equal("on postgres");

        await agent.StopAsync();
        await AgentTestKit.WaitForStateAsync(app, "pg1", AgentStates.Offline);
        (await app.Services.GetRequiredService<IAgentDirectory>().ListUsableAsync()).Should().BeEmpty();
    }
}
