using System.Net.Http.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Builds;
using Albs.Tests.Support;

namespace Albs.Tests.Web;

/// <summary>The dashboard's and the agents' queries on a real PostgreSQL database (the other tests use SQLite).</summary>
[Collection(PostgresCollection.Name)]
public sealed class DashboardPostgresTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_dashboard_and_the_agents_list_answer_on_postgres()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        using var hello = await TestGitRepository.CreateAsync("hello");
        await hello.CommitAsync("import hello", ("hello.spec", BuildAgentTest.Fixture("hello.spec")), ("hello.c", BuildAgentTest.Fixture("hello.c")));
        using var app = new AlbsWebApp(database, new Dictionary<string, string?>(AgentTestKit.FastProbe) { ["Builds:AllowFileUrls"] = "true" });
        var submitted = await app.AdminClient().PostAsJsonAsync("/api/v1/builds", BuildAgentTest.Demo(hello.Url));
        var build = (await submitted.Content.ReadFromJsonAsync<BuildResponse>())!;

        var dashboard = (await app.Client().GetFromJsonAsync<BuildDashboard>("/api/v1/dashboard"))!;

        dashboard.Queued.Should().ContainSingle().Which.Should().Match<DashboardBuild>(b => b.Id == build.Id && b.WaitingTasks == 2 && b.Packages.Single() == "hello");
        dashboard.Running.Should().BeEmpty();
        dashboard.QueueWait.WaitingNow.Should().Be(2);
        dashboard.QueueWait.Started.Should().Be(0);
        dashboard.RecentFailures.Should().BeEmpty();
        (await app.Client().GetFromJsonAsync<List<AgentResponse>>("/api/v1/agents")).Should().BeEmpty();
    }
}
