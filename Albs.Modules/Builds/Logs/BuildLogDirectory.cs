using System.Text;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// <see cref="IBuildLogDirectory"/> over the log files of <see cref="LogFiles"/>: one query for the
/// task, then a ranged read of the (plain or compressed) log.
/// </summary>
internal sealed class BuildLogDirectory(IDbContextFactory<AlbsDbContext> contexts, DataDirectory data) : IBuildLogDirectory
{
    public async Task<BuildLogInfo?> FindAsync(long buildId, long taskId, string name, CancellationToken ct = default)
    {
        if (LogFiles.AttemptOf(name) is not { } attempt)
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var task = await db.Set<BuildTask>().AsNoTracking()
            .Where(t => t.Id == taskId && t.BuildId == buildId)
            .Select(t => new { t.Platform, t.Arch, t.Status, t.Attempt })
            .SingleOrDefaultAsync(ct);
        if (task is null || attempt > task.Attempt + 1)
        {
            return null;
        }

        var live = (task.Status == BuildStatus.Started && task.Attempt == attempt) || (task.Status == BuildStatus.Idle && task.Attempt == attempt - 1);
        long size = 0;
        await using (var log = LogFiles.OpenRead(LogFiles.PathOf(data, buildId, taskId, attempt)))
        {
            size = log?.Length ?? 0;
        }

        return new BuildLogInfo(buildId, taskId, task.Platform, task.Arch, task.Status, name, attempt, live, size, LogFiles.Names(data, buildId, taskId));
    }

    public async Task<BuildLogSlice?> ReadAsync(long buildId, long taskId, string name, long? end, int maxBytes, CancellationToken ct = default)
    {
        if (await FindAsync(buildId, taskId, name, ct) is not { } info)
        {
            return null;
        }

        await using var log = LogFiles.OpenRead(LogFiles.PathOf(data, buildId, taskId, info.Attempt));
        if (log is null)
        {
            return new BuildLogSlice(0, 0, [], info);
        }

        var (first, last, lines) = await SliceAsync(log, end, maxBytes, wholeLinesOnly: info.Live, ct);
        return new BuildLogSlice(first, last, lines, info with { Size = log.Length });
    }

    /// <summary>
    /// The lines of <paramref name="log"/> in at most <paramref name="maxBytes"/> before <paramref name="end"/>
    /// (the log's end when null), starting after a newline (unless one line is longer than the slice);
    /// the last line is left out unless it ends with a newline, when <paramref name="wholeLinesOnly"/> or
    /// when <paramref name="end"/> lies inside the log.
    /// </summary>
    internal static async Task<(long Start, long End, IReadOnlyList<BuildLogLine> Lines)> SliceAsync(
        Stream log, long? end, int maxBytes, bool wholeLinesOnly, CancellationToken ct)
    {
        var length = log.Length;
        var last = Math.Clamp(end ?? length, 0, length);
        var first = Math.Max(0, last - Math.Max(1, maxBytes));

        // One byte before the slice tells whether it starts on a line's beginning.
        var readFrom = first > 0 ? first - 1 : 0;
        var bytes = new byte[last - readFrom];
        log.Seek(readFrom, SeekOrigin.Begin);
        await log.ReadExactlyAsync(bytes, ct);

        var begin = 0;
        if (first > 0)
        {
            var newline = Array.IndexOf(bytes, (byte)'\n');
            begin = newline >= 0 ? newline + 1 : 1;
        }

        var stop = bytes.Length;
        if (wholeLinesOnly || last < length)
        {
            // A line still being written is left to the follower, which resumes at the slice's end.
            var newline = Array.LastIndexOf(bytes, (byte)'\n');
            stop = newline >= begin ? newline + 1 : begin;
        }

        var lines = new List<BuildLogLine>();
        var lineStart = begin;
        for (var i = begin; i < stop; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lines.Add(new BuildLogLine(readFrom + lineStart, Encoding.UTF8.GetString(bytes, lineStart, i - lineStart)));
                lineStart = i + 1;
            }
        }

        if (lineStart < stop)
        {
            lines.Add(new BuildLogLine(readFrom + lineStart, Encoding.UTF8.GetString(bytes, lineStart, stop - lineStart)));
        }

        return (readFrom + begin, readFrom + stop, lines);
    }
}
