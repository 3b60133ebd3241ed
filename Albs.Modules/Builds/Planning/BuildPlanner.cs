namespace Albs.Modules.Builds.Planning;

/// <summary>One platform of a build and the architectures requested on it.</summary>
internal sealed record PlannedPlatform(string Name, IReadOnlyList<string> Arches);

/// <summary>
/// A task the planner decided on. <see cref="SourceTask"/> is the SRPM task an arch task rebuilds
/// from; <see cref="After"/> is the previous source's task on the same platform and arch, which
/// must finish first when the build's sources are chained.
/// </summary>
internal sealed record PlannedTask(int SourceIndex, string Platform, string Arch, PlannedTask? SourceTask, PlannedTask? After)
{
    public bool IsSrpmTask => Arch == BuildPlanner.SrcArch;
}

/// <summary>
/// Plans a build as ALBS does: per source and platform a <c>src</c> task that builds the SRPM, then
/// one task per architecture that rebuilds that SRPM. By default sources are chained (an arch task
/// also waits for the previous source on the same platform and arch, whose packages it may need);
/// with independent tasks only the SRPM dependency remains.
/// </summary>
internal static class BuildPlanner
{
    public const string SrcArch = "src";

    /// <summary>Order inside a platform: i686 first (as ALBS: multilib packages are built before they are needed), then as given.</summary>
    public static IReadOnlyList<string> OrderArches(IEnumerable<string> arches) =>
        [.. arches.Distinct(StringComparer.Ordinal).OrderBy(a => a == "i686" ? 0 : 1)];

    public static IReadOnlyList<PlannedTask> Plan(int sourceCount, IReadOnlyList<PlannedPlatform> platforms, bool independentTasks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceCount, 1);
        var tasks = new List<PlannedTask>();
        var previous = new Dictionary<(string Platform, string Arch), PlannedTask>();
        for (var source = 0; source < sourceCount; source++)
        {
            foreach (var platform in platforms)
            {
                var srpm = new PlannedTask(source, platform.Name, SrcArch, null, null);
                tasks.Add(srpm);
                foreach (var arch in OrderArches(platform.Arches))
                {
                    var key = (platform.Name, arch);
                    var after = independentTasks ? null : previous.GetValueOrDefault(key);
                    var task = new PlannedTask(source, platform.Name, arch, srpm, after);
                    tasks.Add(task);
                    previous[key] = task;
                }
            }
        }

        return tasks;
    }
}
