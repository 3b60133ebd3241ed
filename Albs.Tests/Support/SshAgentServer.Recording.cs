using System.Globalization;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Support;

/// <summary>
/// The agent's session wrapper (sshd's <c>ForceCommand</c>, <see cref="SessionWrapper"/>): recording each
/// command's arrival, and for benchmarks running it under <c>nice</c> or in a CPU group; and reading what
/// was recorded.
/// </summary>
public sealed partial class SshAgentServer
{
    /// <summary>
    /// The commands clients ran, in arrival order, with the agent's clock at arrival (recording agents
    /// only; a script's newlines are shown as spaces).
    /// </summary>
    public IReadOnlyList<(DateTimeOffset At, string Command)> Commands(RecordMark? after = null) => Recorded("commands.log", after?.Commands ?? 0);

    /// <summary>
    /// Every <c>rpmbuild</c> run on this agent (recording agents only: a wrapper first on the
    /// sessions' PATH logs its start and arguments, then runs the real one): also the runs that no
    /// command names, such as an arch task's rebuild in its SRPM task's session.
    /// </summary>
    public IReadOnlyList<(DateTimeOffset At, string Arguments)> RpmbuildRuns(RecordMark? after = null) => Recorded("rpmbuild.log", after?.RpmbuildRuns ?? 0);

    /// <summary>
    /// Where the records end now: <see cref="Commands"/> and <see cref="RpmbuildRuns"/> given it read
    /// only what was recorded after it (a checker polling during a benchmark does not re-read the
    /// thousands of commands of its warm-up each time).
    /// </summary>
    public RecordMark Mark() => new(RecordedLength("commands.log"), RecordedLength("rpmbuild.log"));

    private long RecordedLength(string log)
    {
        var file = new FileInfo(Path.Combine(root, log));
        return file.Exists ? file.Length : 0;
    }

    private List<(DateTimeOffset At, string Text)> Recorded(string log, long from)
    {
        if (!recordCommands)
        {
            throw new InvalidOperationException("this agent does not record commands: start it with recordCommands: true");
        }

        var path = Path.Combine(root, log);
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(from, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var commands = new List<(DateTimeOffset, string)>();
        while (reader.ReadLine() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && line.EndsWith('\u001e') && decimal.TryParse(line[..space], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
            {
                commands.Add((DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)), line[(space + 1)..^1]));
            }
        }

        return commands;
    }

    /// <summary>Whether sessions run through the wrapper (recording, niceness, a CPU group or programs on the PATH).</summary>
    private bool Wrapped => recordCommands || niceness > 0 || cpuGroup is not null || programs.Count > 0;

    /// <summary>
    /// Writes the programs the sessions get first on their PATH (when recording, the <c>rpmbuild</c> shim;
    /// the given programs) and sets <see cref="wrapperCommand"/>, once per server.
    /// </summary>
    private async Task WriteWrapperAsync()
    {
        if (!Wrapped)
        {
            return;
        }

        var bin = Path.Combine(root, "bin");
        var shims = new Dictionary<string, string>(programs, StringComparer.Ordinal);
        if (recordCommands)
        {
            shims["rpmbuild"] = $$"""
                #!/bin/bash
                t=$EPOCHREALTIME; printf -v arguments '%s ' "$@"
                printf '%s %s\036\n' "${t/,/.}" "${arguments//$'\n'/ }" >> {{PosixShell.Quote(Path.Combine(root, "rpmbuild.log"))}}
                exec /usr/bin/rpmbuild "$@"

                """;
        }

        foreach (var (name, text) in shims)
        {
            var program = Path.Combine(Directory.CreateDirectory(bin).FullName, name);
            await File.WriteAllTextAsync(program, text.Replace("\r", "", StringComparison.Ordinal));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }

        string[] arguments =
        [
            await SessionWrapper.ProgramAsync(),
            recordCommands ? Path.Combine(root, "commands.log") : "-",
            cpuGroup is null ? "-" : Path.Combine(cpuGroup, "cgroup.procs"),
            shims.Count > 0 ? bin : "-",
            niceness.ToString(CultureInfo.InvariantCulture),
        ];
        wrapperCommand = PosixShell.Join(arguments);
    }
}

/// <summary>The end of a recording agent's two records at one moment, as byte offsets (<see cref="SshAgentServer.Mark"/>).</summary>
public sealed record RecordMark(long Commands, long RpmbuildRuns);
