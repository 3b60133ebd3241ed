using Albs.Modules.Builds.Dispatch;

namespace Albs.Tests.Builds;

public sealed class BuildTaskSchedulerTests
{
    private static readonly DateTime T0 = new(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc);

    private static ReadyTask Ready(long id, string submitter, string arch = "x86_64", int priority = 0) =>
        new(id, arch, submitter, priority, T0.AddSeconds(id), "AlmaLinux-9");

    private static AgentCapacity Agent(string name, int slots = 1, int running = 0, double load = 0, params string[] arches) =>
        new(name, arches.Length == 0 ? ["x86_64"] : arches, slots, running, load);

    private static readonly Dictionary<string, int> NoneRunning = [];

    [Fact]
    public void A_flood_from_one_submitter_does_not_starve_another()
    {
        var ready = Enumerable.Range(1, 100).Select(i => Ready(i, "flooder")).Append(Ready(500, "alice")).ToList();
        var assignments = BuildTaskScheduler.Assign(ready, [Agent("a1", slots: 2)], NoneRunning);

        assignments.Select(a => a.TaskId).Should().Equal(1, 500);
    }

    [Fact]
    public void The_queue_is_read_for_the_arches_of_agents_with_a_free_slot_and_for_srpms_when_any_has_one()
    {
        BuildTaskScheduler.PlaceableArches([Agent("a1", slots: 2, running: 2, arches: ["aarch64"]), Agent("a2", slots: 1, arches: ["x86_64", "noarch"])])
            .Should().BeEquivalentTo(["x86_64", "noarch", "src"]);
        BuildTaskScheduler.PlaceableArches([Agent("a1", slots: 2, running: 2, arches: ["aarch64"])]).Should().BeEmpty();
        BuildTaskScheduler.PlaceableArches([]).Should().BeEmpty();
    }

    [Fact]
    public void The_submitter_with_fewer_running_tasks_goes_first()
    {
        var ready = new[] { Ready(1, "bob"), Ready(2, "alice") };
        var assignments = BuildTaskScheduler.Assign(ready, [Agent("a1")], new Dictionary<string, int> { ["bob"] = 3, ["alice"] = 1 });
        assignments.Should().Equal(new Assignment(2, "a1"));
    }

    [Fact]
    public void Within_a_submitter_priority_then_age_decide()
    {
        var ready = new[] { Ready(1, "bob"), Ready(2, "bob", priority: 5), Ready(3, "bob") };
        BuildTaskScheduler.Assign(ready, [Agent("a1", slots: 3)], NoneRunning).Select(a => a.TaskId).Should().Equal(2, 1, 3);
    }

    [Fact]
    public void Tasks_go_only_to_agents_of_their_arch_with_free_slots_least_busy_first()
    {
        var agents = new[]
        {
            Agent("x-busy", slots: 2, running: 1, load: 0.1),
            Agent("x-idle", slots: 2, running: 0, load: 3.0),
            Agent("arm", slots: 4, running: 0, load: 0, arches: "aarch64"),
            Agent("x-full", slots: 1, running: 1),
        };
        var ready = new[] { Ready(1, "bob"), Ready(2, "bob", "aarch64"), Ready(3, "bob", "ppc64le"), Ready(4, "bob", "src") };

        var assignments = BuildTaskScheduler.Assign(ready, agents, NoneRunning);

        assignments.Should().Contain(new Assignment(1, "x-idle"));
        assignments.Should().Contain(new Assignment(2, "arm"));
        assignments.Should().NotContain(a => a.TaskId == 3, "no agent builds ppc64le");
        assignments.Should().Contain(a => a.TaskId == 4, "an SRPM builds anywhere");
        assignments.Should().NotContain(a => a.Agent == "x-full");
    }

    [Fact]
    public void Never_more_assignments_than_free_slots()
    {
        var ready = Enumerable.Range(1, 50).Select(i => Ready(i, $"user{i % 5}")).ToList();
        var assignments = BuildTaskScheduler.Assign(ready, [Agent("a1", slots: 3, running: 1), Agent("a2", slots: 2)], NoneRunning);

        assignments.Should().HaveCount(4);
        assignments.GroupBy(a => a.Agent).ToDictionary(g => g.Key, g => g.Count()).Should().BeEquivalentTo(new Dictionary<string, int> { ["a1"] = 2, ["a2"] = 2 });
        assignments.Select(a => ready.Single(t => t.Id == a.TaskId).Submitter).Should().OnlyHaveUniqueItems("four slots go to four different submitters");
    }
}
