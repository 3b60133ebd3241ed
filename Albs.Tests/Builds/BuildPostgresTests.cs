using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Model;
using Albs.Tests.Agents;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Albs.Tests.Builds;

/// <summary>Two server hosts dispatching builds from one real PostgreSQL database to two real agents.</summary>
[Collection(PostgresCollection.Name)]
public sealed partial class BuildPostgresTests(PostgresFixture postgres)
{
    private const int Builds = 100;
    private const int Slots = 3;

    private const string TinySpec = """
        Name:           tiny
        Version:        1.0
        Release:        1%{?dist}
        Summary:        A package with nothing to compile
        License:        MIT
        BuildArch:      noarch

        %description
        Builds in a moment.

        %install
        mkdir -p %{buildroot}%{_datadir}/tiny
        echo tiny > %{buildroot}%{_datadir}/tiny/README

        %files
        %{_datadir}/tiny
        """;

    [Fact]
    public async Task Two_hosts_dispatch_200_tasks_each_runs_exactly_once_and_no_agent_gets_more_than_its_slots()
    {
        await using var agent1 = await SshAgentServer.StartAsync(recordCommands: true);
        await using var agent2 = await SshAgentServer.StartAsync(recordCommands: true);
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        using var tiny = await TestGitRepository.CreateAsync("tiny");
        await tiny.CommitAsync("import tiny", ("tiny.spec", TinySpec));
        var settings = new Dictionary<string, string?>(AgentTestKit.FastProbe) { ["Builds:AllowFileUrls"] = "true" };
        using var hostA = new AlbsWebApp(database, settings);
        (await hostA.Client().GetAsync("/health")).EnsureSuccessStatusCode();
        using var hostB = new AlbsWebApp(database, settings);
        (await hostB.Client().GetAsync("/health")).EnsureSuccessStatusCode();
        var agents = new Dictionary<string, SshAgentServer> { ["pg-a1"] = agent1, ["pg-a2"] = agent2 };
        foreach (var (name, server) in agents)
        {
            var response = await hostA.AdminClient().PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(server, name) with { Slots = Slots });
            response.EnsureSuccessStatusCode();
            await AgentTestKit.WaitForStateAsync(hostB, name, AgentStates.Online);
        }

        // Submitted through both hosts at once, as users of a load-balanced service would.
        var request = BuildAgentTest.Demo(tiny.Url);
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, Builds).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var response = await (i % 2 == 0 ? hostA : hostB).AdminClient().PostAsJsonAsync("/api/v1/builds", request);
                    response.EnsureSuccessStatusCode();
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await Eventually.TrueAsync(
            async () => (await hostA.Client().GetFromJsonAsync<BuildListResponse>("/api/v1/builds?status=idle&pageSize=1"))!.Total
                + (await hostA.Client().GetFromJsonAsync<BuildListResponse>("/api/v1/builds?status=running&pageSize=1"))!.Total == 0,
            "every build ends",
            TimeSpan.FromMinutes(8));

        await using var db = database.CreateContext();
        var tasks = await db.Set<BuildTask>().AsNoTracking().ToListAsync();
        tasks.Should().HaveCount(2 * Builds);
        tasks.Should().OnlyContain(t => t.Status == "completed" && t.Attempt == 1, string.Join("; ", tasks.Where(t => t.Status != "completed").Select(t => $"{t.Id}: {t.Status} {t.Error}")));
        (await db.Set<Build>().CountAsync(b => b.Status == "completed")).Should().Be(Builds);

        // On the agents: each task's rpmbuild ran exactly once, on the agent the task records (an arch
        // task's rebuild may run in its SRPM task's session, which no command names: the agents log
        // every rpmbuild run with its work directory).
        var runs = agents.SelectMany(a => a.Value.RpmbuildRuns()
                .Select(r => (Agent: a.Key, TaskId: long.Parse(WorkDirectory().Match(r.Arguments).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))))
            .ToList();
        runs.Select(r => r.TaskId).Should().OnlyHaveUniqueItems("no task may run twice").And.BeEquivalentTo(tasks.Select(t => t.Id));
        runs.Should().BeEquivalentTo(tasks.Select(t => (t.AgentName!, t.Id)));

        // Both hosts dispatched, and never the same task.
        var startedBy = new[] { hostA, hostB }.Select(h => h.Logs.Select(l => StartedLog().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList()).ToList();
        startedBy.Should().OnlyContain(s => s.Count > 0, "both hosts take part");
        startedBy[0].Intersect(startedBy[1]).Should().BeEmpty();
        (startedBy[0].Count + startedBy[1].Count).Should().Be(2 * Builds);

        // From the agents' clocks: a task occupies its agent from its first command (or rpmbuild run) to the fetch of
        // its results (the work directory's removal follows after the slot is given back); at no
        // moment did more than the agent's slots overlap.
        foreach (var (name, server) in agents)
        {
            var spans = server.Commands()
                .Where(c => !c.Command.StartsWith("rm ", StringComparison.Ordinal) && !c.Command.StartsWith("'rm' ", StringComparison.Ordinal))
                .Select(c => (c.At, Text: c.Command))
                .Concat(server.RpmbuildRuns().Select(r => (r.At, Text: r.Arguments)))
                .Select(c => (c.At, Match: WorkDirectory().Match(c.Text)))
                .Where(c => c.Match.Success)
                .GroupBy(c => c.Match.Groups[1].Value)
                .Select(g => (Start: g.Min(c => c.At), End: g.Max(c => c.At)))
                .ToList();
            var busiest = spans.Max(s => spans.Count(o => o.Start <= s.Start && o.End >= s.Start));
            busiest.Should().BeLessThanOrEqualTo(Slots, $"agent {name} has {Slots} slots");
        }
    }

    [GeneratedRegex(@"/task-(\d+)-\d+")]
    private static partial Regex WorkDirectory();

    [GeneratedRegex(@"Task (\d+) started on agent")]
    private static partial Regex StartedLog();
}
