namespace Albs.Bench;

/// <summary>
/// The dispatch benchmark's client steps, one method each, run by every warm-up round as by the
/// burst: the JIT compiles them in the warm-up, not in the measured burst, whose CPU this process
/// shares with the server.
/// </summary>
internal static class BurstClient
{
    /// <summary>Submits <paramref name="count"/> builds at once, each through the thread pool as a client would.</summary>
    public static Task<(Submission? Submission, string? Error)[]> SubmitAtOnceAsync(AlbsUnderTest albs, string url, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => Task.Run(() => albs.TrySubmitAsync(url))));

    public static (Submission[] Submissions, List<string> Refused) Answers((Submission? Submission, string? Error)[] answers) =>
        ([.. answers.Select(a => a.Submission).OfType<Submission>()], [.. answers.Where(a => a.Submission is null).Select(a => a.Error!)]);

    public static HashSet<long> SrpmTasks(IEnumerable<Submission> submissions) => [.. submissions.Select(s => s.SrpmTask.Id)];

    /// <summary>The first arrival of each task's commands, polled until every one of <paramref name="tasks"/> has one or <paramref name="deadline"/> passes; and how many have.</summary>
    public static async Task<(Dictionary<long, DateTimeOffset> First, int Arrived)> FirstCommandsAsync(
        IEnumerable<(string Name, Albs.Tests.Support.SshAgentServer Server)> agents, IReadOnlyDictionary<string, Albs.Tests.Support.RecordMark> mark, HashSet<long> tasks, DateTimeOffset deadline)
    {
        while (true)
        {
            var first = AgentCommands.FirstByTask(AgentCommands.Read(agents, mark));
            if (tasks.All(first.ContainsKey) || DateTimeOffset.UtcNow > deadline)
            {
                return (first, tasks.Count(first.ContainsKey));
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Seconds from the first request to the last of <paramref name="tasks"/>' first arrivals.</summary>
    public static double LastArrival(Dictionary<long, DateTimeOffset> first, HashSet<long> tasks, Submission[] submissions)
    {
        var last = first.Where(f => tasks.Contains(f.Key)).Select(f => f.Value).DefaultIfEmpty(DateTimeOffset.UtcNow).Max();
        return (last - submissions.Select(s => s.SentAt).DefaultIfEmpty(last).Min()).TotalSeconds;
    }
}
