using System.Formats.Tar;
using Albs.Modules.Builds.Planning;

namespace Albs.Modules.Builds.Execution;

/// <summary>A task's inputs going to its agent as one tar, and its results coming back as one.</summary>
internal sealed partial class TaskExecutor
{
    /// <summary>The inputs as one tar on the session's stdin (the script unpacks it into the work directory); returns the bytes written.</summary>
    private static async Task<long> WriteInputsAsync(Stream stdin, IReadOnlyList<TaskInput> inputs, CancellationToken ct)
    {
        var counted = new CountingStream(stdin);
        await using (var writer = new TarWriter(counted, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var input in inputs)
            {
                if (input.Path is { } path)
                {
                    await writer.WriteEntryAsync(path, input.Name, ct);
                    continue;
                }

                using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(input.Text ?? ""));
                await writer.WriteEntryAsync(
                    new UstarTarEntry(TarEntryType.RegularFile, input.Name)
                    {
                        DataStream = content,
                        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                        ModificationTime = DateTimeOffset.UtcNow,
                    },
                    ct);
            }
        }

        return counted.Written;
    }

    /// <summary>
    /// Reads the results the build script packed, checks every file against the sha256 the agent
    /// computed, stores each content-addressed and reads its header. Anything unexpected in the tar
    /// (a link, a path, a file not in the list) fails the task.
    /// </summary>
    private async Task<List<(StoredArtifact Artifact, RpmInfo Header)>> CollectAsync(string tar, string local, CancellationToken ct)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        string? sums = null;
        await using (var reader = new TarReader(File.OpenRead(tar)))
        {
            while (await reader.GetNextEntryAsync(cancellationToken: ct) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    throw new InvalidDataException($"the agent's results hold '{entry.Name}', which is not a regular file");
                }

                if (entry.Name == "SHA256SUMS")
                {
                    using var text = new StreamReader(entry.DataStream ?? Stream.Null);
                    sums = await text.ReadToEndAsync(ct);
                    continue;
                }

                var name = Path.GetFileName(entry.Name);
                if (!entry.Name.StartsWith("out/", StringComparison.Ordinal) || !ArtifactNames.IsSafe(name) || files.ContainsKey(name))
                {
                    throw new InvalidDataException($"the agent reported an unsafe or repeated file name '{entry.Name}'");
                }

                files[name] = Path.Combine(local, "results-" + name);
                await entry.ExtractToFileAsync(files[name], overwrite: false, ct);
            }
        }

        var listed = (sums ?? throw new InvalidDataException("the agent's results have no SHA256SUMS"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Length > 66 ? (Sha: line[..64], Name: Path.GetFileName(line[66..])) : throw new InvalidDataException($"bad SHA256SUMS line '{line}'"))
            .ToList();
        if (!listed.Select(l => l.Name).Order(StringComparer.Ordinal).SequenceEqual(files.Keys.Order(StringComparer.Ordinal)))
        {
            throw new InvalidDataException("the agent's results do not match their SHA256SUMS");
        }

        var artifacts = new List<(StoredArtifact, RpmInfo)>();
        foreach (var (sha, name) in listed)
        {
            var size = new FileInfo(files[name]).Length;
            await store.AddAsync(files[name], sha, ct);
            var info = await RpmHeader.ReadAsync(store.PathOf(sha), ct);
            artifacts.Add((new StoredArtifact(name, info.Arch == BuildPlanner.SrcArch ? "srpm" : "rpm", size, sha, info.Nevra, info.SourceRpm), info));
        }

        return artifacts;
    }
}
