using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Model;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Builds;

/// <summary>The task table's claims (a dispatch round's, in one transaction) on real SQLite and PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BuildTaskStoreTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_round_claims_idle_tasks_in_order_up_to_each_agents_free_slots_counting_every_hosts_tasks(string provider)
    {
        using var database = provider == "postgres" ? await TestDatabase.PostgresAsync(postgres.Server) : TestDatabase.Sqlite();
        await using var host = await StartAsync(database);
        var store = host.Services.GetRequiredService<BuildTaskStore>();

        // Build 1: seven idle tasks and one cancelled; build 2: one task, started on a1 by another host.
        var (first, firstTasks) = await SeedAsync(host, Enumerable.Repeat(BuildStatus.Idle, 7).Append(BuildStatus.Cancelled).ToArray());
        var (_, otherTasks) = await SeedAsync(host, [BuildStatus.Idle]);
        (await store.ClaimAsync([new TaskClaim(otherTasks[0], "a1", 3)], "other-host", CancellationToken.None)).Should().Equal(otherTasks[0]);

        // a1 has 3 slots, one taken: of the four offered, the cancelled one is skipped and the first
        // two idle ones in the round's order go. a2 takes all three it is offered.
        var claims = new List<TaskClaim>
        {
            new(firstTasks[7], "a1", 3),
            new(firstTasks[4], "a1", 3),
            new(firstTasks[0], "a2", 5),
            new(firstTasks[2], "a1", 3),
            new(firstTasks[5], "a2", 5),
            new(firstTasks[3], "a1", 3),
            new(firstTasks[6], "a2", 5),
        };
        var claimed = await store.ClaimAsync(claims, "this-host", CancellationToken.None);

        claimed.Should().BeEquivalentTo([firstTasks[4], firstTasks[2], firstTasks[0], firstTasks[5], firstTasks[6]]);
        await using var db = database.CreateContext();
        var tasks = await db.Set<BuildTask>().AsNoTracking().ToDictionaryAsync(t => t.Id);
        foreach (var id in claimed)
        {
            var task = tasks[id];
            task.Status.Should().Be(BuildStatus.Started);
            task.LeaseOwner.Should().Be("this-host");
            task.Attempt.Should().Be(1);
            task.StartedAt.Should().NotBeNull();
            task.LeaseExpiresAt.Should().BeAfter(task.StartedAt!.Value);
            task.AgentName.Should().Be(claims.Single(c => c.TaskId == id).Agent);
        }

        tasks[firstTasks[3]].Status.Should().Be(BuildStatus.Idle, "a1 had no slot left for it");
        tasks[firstTasks[3]].Attempt.Should().Be(0);
        tasks[firstTasks[1]].Status.Should().Be(BuildStatus.Idle, "it was not offered");
        tasks[firstTasks[7]].Status.Should().Be(BuildStatus.Cancelled);
        tasks.Values.Count(t => t.AgentName == "a1" && t.Status == BuildStatus.Started).Should().Be(3);
        (await db.Set<Build>().AsNoTracking().SingleAsync(b => b.Id == first)).Status.Should().Be(BuildStatus.Running);

        // A second round finds a1 full: nothing more goes there, and what was claimed is not claimed again.
        (await store.ClaimAsync([new TaskClaim(firstTasks[3], "a1", 3), new TaskClaim(firstTasks[4], "a2", 5)], "this-host", CancellationToken.None))
            .Should().BeEmpty();
    }

    [Fact]
    public async Task Two_hosts_claiming_the_same_tasks_at_once_on_postgres_start_each_once_and_never_overfill_an_agent()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        await using var hostA = await StartAsync(database);
        await using var hostB = await StartAsync(database);
        var (_, ids) = await SeedAsync(hostA, Enumerable.Repeat(BuildStatus.Idle, 60).ToArray());
        string[] agents = ["a1", "a2", "a3"];

        // Each round offers every task to one agent, in its own order: rounds for different agents
        // lock different slots and run side by side, so two of them may reach one task together.
        var rounds = new[] { hostA, hostB }.SelectMany((host, h) => Enumerable.Range(0, 6).Select(round =>
        {
            var offered = (round + h) % 2 == 0 ? ids : [.. Enumerable.Reverse(ids)];
            var claims = offered.Select(id => new TaskClaim(id, agents[(round + h) % agents.Length], 8)).ToList();
            var store = host.Services.GetRequiredService<BuildTaskStore>();
            return Task.Run(() => store.ClaimAsync(claims, $"host-{h}", CancellationToken.None));
        })).ToList();
        var claimed = (await Task.WhenAll(rounds)).SelectMany(c => c).ToList();

        claimed.Should().OnlyHaveUniqueItems("no task may start twice").And.HaveCount(24, "three agents of eight slots");
        await using var db = database.CreateContext();
        var started = await db.Set<BuildTask>().AsNoTracking().Where(t => t.Status == BuildStatus.Started).ToListAsync();
        started.Select(t => t.Id).Should().BeEquivalentTo(claimed);
        started.GroupBy(t => t.AgentName).Should().OnlyContain(g => g.Count() == 8);
        started.Should().OnlyContain(t => t.Attempt == 1);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task The_queue_read_shows_each_submitters_first_tasks_of_each_placeable_arch_however_long_a_backlog_is_ahead(string provider)
    {
        using var database = provider == "postgres" ? await TestDatabase.PostgresAsync(postgres.Server) : TestDatabase.Sqlite();
        await using var host = await StartAsync(database);
        var store = host.Services.GetRequiredService<BuildTaskStore>();

        // Ahead of everyone: a mass rebuild of alice's, longer than a round reads, with one urgent task
        // at its end, and a backlog of aarch64 tasks (no free aarch64 slot). Then bob's one task and
        // carol's one aarch64 task; and a task that is not ready (its SRPM task is idle).
        var backlog = BuildTaskStore.ReadyLimit + 100;
        var (_, alice) = await SeedAsync(host, Enumerable.Range(0, backlog)
            .Select(i => new TaskShape(BuildStatus.Idle, "alice", "x86_64", i == backlog - 1 ? 5 : 0))
            .Concat(Enumerable.Repeat(new TaskShape(BuildStatus.Idle, "alice", "aarch64", 0), 10)));
        var (_, others) = await SeedAsync(host, [new TaskShape(BuildStatus.Idle, "bob", "x86_64", 0), new TaskShape(BuildStatus.Idle, "carol", "aarch64", 0)]);
        var (_, waiting) = await SeedAsync(host, [new TaskShape(BuildStatus.Idle, "dave", "x86_64", 0)]);
        await host.WithDbAsync(db => db.Set<BuildTask>().Where(t => t.Id == waiting[0])
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.SrpmTaskId, others[0])));

        var ready = await store.ReadyAsync(new HashSet<string> { "x86_64", "src" }, 3, CancellationToken.None);

        ready.Select(t => t.Id).Should().Equal(
            new[] { alice[0], alice[1], alice[backlog - 1], others[0] }.Order(),
            "alice's urgent task and her two oldest, and bob's task, however many of alice's are ahead; no aarch64 task, and no task whose SRPM is not built");
        ready.Single(t => t.Id == alice[backlog - 1]).Priority.Should().Be(5);

        (await store.ReadyAsync(new HashSet<string> { "aarch64" }, 2, CancellationToken.None)).Select(t => t.Id)
            .Should().Equal(alice[backlog], alice[backlog + 1], others[1]);
        (await store.ReadyAsync(new HashSet<string> { "x86_64" }, 0, CancellationToken.None)).Should().BeEmpty("no free slot");
    }

    private static Task<ModuleHost> StartAsync(TestDatabase database) =>
        ModuleHost.StartAsync(database, services =>
        {
            services.AddOptions<BuildDispatchOptions>();
            services.AddSingleton<BuildChangeSignals>();
            services.AddSingleton<BuildTaskStore>();
        });

    /// <summary>A build of one source with one task per status given; returns its id and its tasks' ids in that order.</summary>
    private static Task<(long Build, List<long> Tasks)> SeedAsync(ModuleHost host, string[] statuses) =>
        SeedAsync(host, statuses.Select(status => new TaskShape(status, "alice", "x86_64", 0)));

    private sealed record TaskShape(string Status, string Submitter, string Arch, int Priority);

    /// <summary>A build of one source with one task per shape given (no dependencies); returns its id and its tasks' ids in that order.</summary>
    private static Task<(long Build, List<long> Tasks)> SeedAsync(ModuleHost host, IEnumerable<TaskShape> shapes) =>
        host.WithDbAsync(async db =>
        {
            var now = DateTime.UtcNow;
            var build = new Build { CreatedById = "u1", CreatedByName = "alice", CreatedAt = now };
            build.Sources.Add(new BuildSource { Kind = "git", Url = "file:///srv/git/tiny.git", Package = "tiny" });
            db.Add(build);
            await db.SaveChangesAsync();
            var tasks = shapes.Select(shape => new BuildTask
            {
                BuildId = build.Id,
                SourceId = build.Sources[0].Id,
                Platform = "Demo",
                Arch = shape.Arch,
                Submitter = shape.Submitter,
                Priority = shape.Priority,
                Status = shape.Status,
                CreatedAt = now,
            }).ToList();
            db.AddRange(tasks);
            await db.SaveChangesAsync();
            return (build.Id, tasks.Select(t => t.Id).ToList());
        });
}
