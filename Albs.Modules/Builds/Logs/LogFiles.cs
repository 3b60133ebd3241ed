using System.Buffers.Binary;
using Albs.Modules.Common.Storage;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// Where task logs live and how they are read: <c>logs/build-N/task-M/build.&lt;attempt&gt;.log</c> while
/// the attempt runs, then <c>build.&lt;attempt&gt;.log.gz</c> once it has ended. Readers always ask for
/// <c>build.&lt;attempt&gt;.log</c> and get the plain text either way. Names are checked, never trusted.
/// </summary>
internal static class LogFiles
{
    public static string Directory(DataDirectory data, long buildId, long taskId) =>
        data.Combine("logs", $"build-{buildId}", $"task-{taskId}");

    public static string PathOf(DataDirectory data, long buildId, long taskId, int attempt) =>
        System.IO.Path.Combine(Directory(data, buildId, taskId), NameOf(attempt));

    public static string NameOf(int attempt) => $"build.{attempt}.log";

    /// <summary><c>build.&lt;attempt&gt;.log</c>, nothing else; the attempt number, or null.</summary>
    public static int? AttemptOf(string name) =>
        name.StartsWith("build.", StringComparison.Ordinal) && name.EndsWith(".log", StringComparison.Ordinal)
        && name.Length is > 10 and < 16 && name[6..^4].All(char.IsAsciiDigit) && name[6] != '0'
            ? int.Parse(name[6..^4], System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>The log names of a task, oldest attempt first (compressed or not).</summary>
    public static IReadOnlyList<string> Names(DataDirectory data, long buildId, long taskId)
    {
        var dir = Directory(data, buildId, taskId);
        if (!System.IO.Directory.Exists(dir))
        {
            return [];
        }

        return [.. System.IO.Directory.EnumerateFiles(dir, "build.*")
            .Select(System.IO.Path.GetFileName)
            .OfType<string>()
            .Select(n => n.EndsWith(".gz", StringComparison.Ordinal) ? n[..^3] : n)
            .Select(n => (Name: n, Attempt: AttemptOf(n)))
            .Where(n => n.Attempt is not null)
            .DistinctBy(n => n.Attempt)
            .OrderBy(n => n.Attempt)
            .Select(n => n.Name)];
    }

    /// <summary>
    /// Opens a log for reading as plain text: the live file if it is still there, else the
    /// compressed one through a seekable decompressing stream. Null when neither exists.
    /// </summary>
    public static Stream? OpenRead(string plainPath)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (File.Exists(plainPath))
                {
                    return OpenShared(plainPath);
                }

                if (File.Exists(plainPath + ".gz"))
                {
                    return new GzipLogStream(plainPath + ".gz");
                }

                return null;
            }
            catch (FileNotFoundException)
            {
                // Compressed between the check and the open: look again.
            }
        }

        return null;
    }

    /// <summary>Opens the live file so that its writer and a compression may go on meanwhile.</summary>
    public static FileStream OpenShared(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous);

    /// <summary>
    /// Replaces a finished log by its gzip, in the member layout of <see cref="GzipMembers"/> (so that any
    /// part of it can be read without decompressing what comes before): written aside, flushed to disk,
    /// renamed into place, and only then is the plain file removed. A crash at any point leaves a whole
    /// log (plain, or both). There is no size limit: each member records its own plain length (at most
    /// <see cref="GzipMembers.MemberPlainLength"/>, exact in its 32-bit ISIZE too), and the total is their
    /// sum, so logs beyond 4 GiB keep their length, unlike a single gzip stream's ISIZE (modulo 4 GiB).
    /// </summary>
    public static async Task CompressAsync(string plainPath, CancellationToken ct)
    {
        if (!File.Exists(plainPath))
        {
            return;
        }

        var temporary = plainPath + ".gz.tmp";
        await using (var input = OpenShared(plainPath))
        await using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
        {
            var chunk = new byte[GzipMembers.MemberPlainLength];
            var members = 0;
            while (true)
            {
                var read = await input.ReadAtLeastAsync(chunk, chunk.Length, throwOnEndOfStream: false, ct);
                if (read > 0 || members == 0)
                {
                    // An empty log still gets one (empty) member: an empty file is no gzip.
                    await GzipMembers.WriteMemberAsync(output, chunk.AsMemory(0, read), ct);
                    members++;
                }

                if (read < chunk.Length)
                {
                    break;
                }
            }

            await output.FlushAsync(ct);
            output.Flush(flushToDisk: true);
        }

        File.Move(temporary, plainPath + ".gz", overwrite: true);
        File.Delete(plainPath);
    }

    /// <summary>
    /// The uncompressed length a gzip file records in its last four bytes: the whole length for a log
    /// compressed as one gzip stream (before <see cref="GzipMembers"/>; such logs were under 4 GiB).
    /// </summary>
    public static long UncompressedLength(FileStream gzip)
    {
        Span<byte> trailer = stackalloc byte[4];
        gzip.Seek(-4, SeekOrigin.End);
        gzip.ReadExactly(trailer);
        gzip.Seek(0, SeekOrigin.Begin);
        return BinaryPrimitives.ReadUInt32LittleEndian(trailer);
    }
}
