using System.Globalization;
using System.Text.RegularExpressions;
using Albs.Tests.Support;

namespace Albs.Bench;

/// <summary>One command as a recording agent saw it arrive, attributed to a task attempt when it names one.</summary>
internal sealed record AgentCommand(DateTimeOffset At, string Agent, long? TaskId, int? Attempt, string Kind, string Text);

/// <summary>
/// Reads what recording agents (<see cref="SshAgentServer.Commands"/>) received. The executor works in
/// <c>&lt;work&gt;/task-&lt;taskId&gt;-&lt;attempt&gt;</c> on the agent, so every command of a task names
/// that directory; its kind is recognised from the executor's and the transport's scripts.
/// </summary>
internal static partial class AgentCommands
{
    /// <summary>
    /// The commands, and every rpmbuild run as a command of kind "rpmbuild started" (an arch task that
    /// goes on in its SRPM task's session has no command of its own; its rebuild's start is its first sign on the agent).
    /// </summary>
    /// <param name="agents">The agents, by name.</param>
    /// <param name="after">Per agent name, where to start reading (<see cref="Mark"/>); from the beginning when absent.</param>
    public static List<AgentCommand> Read(IEnumerable<(string Name, SshAgentServer Server)> agents, IReadOnlyDictionary<string, RecordMark>? after = null) =>
        [.. agents.SelectMany(a =>
        {
            var mark = after?.GetValueOrDefault(a.Name);
            return a.Server.Commands(mark).Select(c => Parse(a.Name, c.At, c.Command))
                .Concat(a.Server.RpmbuildRuns(mark).Select(r => Parse(a.Name, r.At, r.Arguments) with { Kind = "rpmbuild started" }));
        })
            .OrderBy(c => c.At)];

    /// <summary>Where each agent's records end now.</summary>
    public static Dictionary<string, RecordMark> Mark(IEnumerable<(string Name, SshAgentServer Server)> agents) =>
        agents.ToDictionary(a => a.Name, a => a.Server.Mark());

    /// <summary>The first arrival of any command of each task (any attempt).</summary>
    public static Dictionary<long, DateTimeOffset> FirstByTask(IEnumerable<AgentCommand> commands) =>
        commands.Where(c => c.TaskId is not null).GroupBy(c => c.TaskId!.Value).ToDictionary(g => g.Key, g => g.Min(c => c.At));

    private static AgentCommand Parse(string agent, DateTimeOffset at, string text)
    {
        var match = TaskDirectory().Match(text);
        long? task = match.Success ? long.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : null;
        int? attempt = match.Success ? int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : null;
        return new AgentCommand(at, agent, task, attempt, Kind(text), text);
    }

    // Recognised by the scripts' own text (TaskExecutor and AgentShell; every word arrives
    // single-quoted by PosixShell): a changed script shows up here as "other", never as a wrong figure.
    private static string Kind(string text) =>
        text.Contains("cat > \"$1\"", StringComparison.Ordinal) ? "upload"
        : text.Contains("mv -f -- \"$1\" \"$2\"", StringComparison.Ordinal) ? "upload-commit"
        : text.Contains("rpmbuild -bs", StringComparison.Ordinal) ? "rpmbuild -bs"
        : text.Contains("rpmbuild --rebuild", StringComparison.Ordinal) ? "rpmbuild --rebuild"
        : text.Contains("find out -type f", StringComparison.Ordinal) ? "list results"
        : text.StartsWith("'cat' '--' ", StringComparison.Ordinal) ? "download"
        : text.StartsWith("'rm' '-rf' '--' ", StringComparison.Ordinal) ? "clean up"
        : text.Contains("/proc/loadavg", StringComparison.Ordinal) ? "probe"
        : "other";

    [GeneratedRegex(@"/task-(\d+)-(\d+)\b")]
    private static partial Regex TaskDirectory();
}
