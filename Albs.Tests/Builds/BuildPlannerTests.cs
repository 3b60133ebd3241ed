using Albs.Modules.Builds.Planning;

namespace Albs.Tests.Builds;

public sealed class BuildPlannerTests
{
    private static readonly PlannedPlatform Alma9 = new("AlmaLinux-9", ["x86_64", "aarch64", "i686"]);
    private static readonly PlannedPlatform Alma8 = new("AlmaLinux-8", ["x86_64"]);

    [Fact]
    public void One_source_gets_an_srpm_task_then_one_task_per_arch_with_i686_first()
    {
        var tasks = BuildPlanner.Plan(1, [Alma9], independentTasks: false);

        tasks.Select(t => t.Arch).Should().Equal("src", "i686", "x86_64", "aarch64");
        tasks.Skip(1).Should().OnlyContain(t => t.SourceTask == tasks[0] && t.After == null);
        tasks[0].IsSrpmTask.Should().BeTrue();
    }

    [Fact]
    public void Chained_sources_wait_for_the_previous_source_on_the_same_platform_and_arch()
    {
        var tasks = BuildPlanner.Plan(2, [Alma9, Alma8], independentTasks: false);

        tasks.Should().HaveCount(2 * (1 + 3 + 1 + 1));
        var second = tasks.Where(t => t.SourceIndex == 1 && !t.IsSrpmTask).ToList();
        second.Should().OnlyContain(t => t.After != null && t.After.SourceIndex == 0 && t.After.Platform == t.Platform && t.After.Arch == t.Arch);
        tasks.Where(t => t.IsSrpmTask).Should().OnlyContain(t => t.After == null, "SRPMs need no other package and start at once");
    }

    [Fact]
    public void Independent_sources_keep_only_the_srpm_dependency()
    {
        var tasks = BuildPlanner.Plan(3, [Alma9], independentTasks: true);

        tasks.Should().OnlyContain(t => t.After == null);
        tasks.Where(t => !t.IsSrpmTask).Should().OnlyContain(t => t.SourceTask != null && t.SourceTask.SourceIndex == t.SourceIndex && t.SourceTask.Platform == t.Platform);
    }

    [Fact]
    public void Repeated_arches_are_planned_once()
    {
        var tasks = BuildPlanner.Plan(1, [new PlannedPlatform("AlmaLinux-9", ["x86_64", "x86_64"])], independentTasks: false);
        tasks.Select(t => t.Arch).Should().Equal("src", "x86_64");
    }
}
