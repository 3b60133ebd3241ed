namespace Albs.Modules.Builds.Contracts;

/// <summary>
/// Task logs for pages: which log a task has, how far it is, and a slice of its text read with a
/// range (never the whole file), so that the log viewer opens a 100 MB log as fast as a small one.
/// </summary>
public interface IBuildLogDirectory
{
    /// <summary>
    /// The facts about log <paramref name="name"/> (<c>build.&lt;attempt&gt;.log</c>) of a task; null for an
    /// unknown build, task or name, or an attempt beyond the next one (the same rule as the log stream).
    /// </summary>
    Task<BuildLogInfo?> FindAsync(long buildId, long taskId, string name, CancellationToken ct = default);

    /// <summary>
    /// At most <paramref name="maxBytes"/> of the log's whole lines ending at byte <paramref name="end"/>
    /// (the end of the log when null): the slice starts after a newline, and ends after one while the
    /// attempt may still write (so that a follower resumes exactly there). Null when the log is unknown.
    /// </summary>
    Task<BuildLogSlice?> ReadAsync(long buildId, long taskId, string name, long? end, int maxBytes, CancellationToken ct = default);
}

/// <summary>One log of a task as the log viewer shows it.</summary>
/// <param name="BuildId">The build.</param>
/// <param name="TaskId">The task.</param>
/// <param name="Platform">The task's platform.</param>
/// <param name="Arch">The task's architecture (<c>src</c> for the SRPM task).</param>
/// <param name="Status">The task's status (lower case).</param>
/// <param name="Name">The log's name, <c>build.&lt;attempt&gt;.log</c>.</param>
/// <param name="Attempt">The attempt this log belongs to.</param>
/// <param name="Live">The attempt runs, or is the next one and the task waits for it: the log may still grow.</param>
/// <param name="Size">The log's length in bytes so far (0 before it exists).</param>
/// <param name="Logs">Every log of the task, oldest attempt first.</param>
public sealed record BuildLogInfo(
    long BuildId, long TaskId, string Platform, string Arch, string Status, string Name, int Attempt, bool Live, long Size, IReadOnlyList<string> Logs);

/// <summary>Whole lines of a log: bytes <paramref name="Start"/> to <paramref name="End"/> (exclusive).</summary>
/// <param name="Start">Byte offset of the first line (0 = the log's beginning).</param>
/// <param name="End">Byte offset after the last line; a follower resumes here.</param>
/// <param name="Lines">The lines, each with the byte offset it starts at, without its newline.</param>
/// <param name="Info">The log the slice was read from.</param>
public sealed record BuildLogSlice(long Start, long End, IReadOnlyList<BuildLogLine> Lines, BuildLogInfo Info);

/// <summary>One line of a log.</summary>
/// <param name="Offset">Byte offset of the line's first byte in the log.</param>
/// <param name="Text">The line without its newline, decoded as UTF-8.</param>
public sealed record BuildLogLine(long Offset, string Text);
