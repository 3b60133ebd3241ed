using Albs.Modules.Builds.Planning;

namespace Albs.Modules.Builds.Dispatch;

/// <summary>A task that is ready to run (its dependencies are done), as the scheduler sees it; the platform is for its start.</summary>
internal sealed record ReadyTask(long Id, string Arch, string Submitter, int Priority, DateTime CreatedAt, string Platform);

/// <summary>An agent that can take work now.</summary>
internal sealed record AgentCapacity(string Name, IReadOnlyList<string> Arches, int Slots, int Running, double Load);

/// <summary>One decision: run this task on that agent.</summary>
internal sealed record Assignment(long TaskId, string Agent);

/// <summary>
/// Decides which ready tasks start now and where. Fair between submitters: the next task goes to
/// the submitter with the fewest tasks running (then the one waiting longest), so one person's
/// flood of builds does not starve anyone else's; within a submitter, higher priority first, then
/// oldest. An agent is chosen among those that build the arch and have a free slot, least busy
/// first (running/slots, then load average). ALBS hands out tasks strictly first in, first out.
/// </summary>
internal static class BuildTaskScheduler
{
    public static IReadOnlyList<Assignment> Assign(
        IReadOnlyList<ReadyTask> ready,
        IReadOnlyList<AgentCapacity> agents,
        IReadOnlyDictionary<string, int> runningBySubmitter)
    {
        var free = agents.Where(a => a.Running < a.Slots).ToDictionary(a => a.Name, a => a.Running);
        var running = new Dictionary<string, int>(runningBySubmitter, StringComparer.Ordinal);
        var queues = ready
            .GroupBy(t => t.Submitter, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new Queue<ReadyTask>(g.OrderByDescending(t => t.Priority).ThenBy(t => t.CreatedAt).ThenBy(t => t.Id)), StringComparer.Ordinal);
        var assignments = new List<Assignment>();
        while (queues.Count > 0 && free.Count > 0)
        {
            // The submitter with the fewest running tasks goes next; ties go to the longest waiting.
            var submitter = queues
                .OrderBy(q => running.GetValueOrDefault(q.Key))
                .ThenBy(q => q.Value.Peek().CreatedAt)
                .ThenBy(q => q.Value.Peek().Id)
                .First().Key;
            var queue = queues[submitter];
            var task = queue.Dequeue();
            if (queue.Count == 0)
            {
                queues.Remove(submitter);
            }

            var agent = agents
                .Where(a => free.ContainsKey(a.Name) && CanBuild(a, task.Arch))
                .OrderBy(a => (double)free[a.Name] / a.Slots)
                .ThenBy(a => a.Load)
                .ThenBy(a => a.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            if (agent is null)
            {
                continue;
            }

            assignments.Add(new Assignment(task.Id, agent.Name));
            running[submitter] = running.GetValueOrDefault(submitter) + 1;
            free[agent.Name]++;
            if (free[agent.Name] >= agent.Slots)
            {
                free.Remove(agent.Name);
            }
        }

        return assignments;
    }

    /// <summary>The arches a task of which could start now: those of the agents with a free slot, and <c>src</c> when any has one.</summary>
    public static IReadOnlySet<string> PlaceableArches(IReadOnlyList<AgentCapacity> agents)
    {
        var free = agents.Where(a => a.Running < a.Slots).ToList();
        return free.Count == 0
            ? new HashSet<string>(StringComparer.Ordinal)
            : free.SelectMany(a => a.Arches).Append(BuildPlanner.SrcArch).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>SRPMs build on any agent; an arch task needs an agent of that arch.</summary>
    public static bool CanBuild(AgentCapacity agent, string arch) =>
        arch == BuildPlanner.SrcArch || agent.Arches.Contains(arch, StringComparer.Ordinal);
}
