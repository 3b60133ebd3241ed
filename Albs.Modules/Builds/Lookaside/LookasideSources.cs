using System.Formats.Tar;
using Albs.Modules.Builds.Logs;

namespace Albs.Modules.Builds.Lookaside;

/// <summary>
/// The lookaside step of an SRPM task: reads the dist-git metadata of the exported tree, gets every
/// file it lists (see <see cref="LookasideFetcher"/>) and packs them, under their plain names, into
/// one tar that the agent unpacks into the sources directory before <c>rpmbuild -bs</c>.
/// </summary>
internal sealed class LookasideSources(LookasideFetcher fetcher)
{
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <returns>How many files were packed; with none listed, <paramref name="outputTar"/> is not written.</returns>
    /// <exception cref="LookasideException">Malformed metadata or a file that cannot be had; the message names it.</exception>
    public async Task<int> PackAsync(string sourceTar, string repositoryName, string outputTar, TaskLog log, CancellationToken ct)
    {
        var manifest = await LookasideMetadata.ReadAsync(sourceTar, repositoryName, ct);
        if (manifest.Files.Count == 0)
        {
            return 0;
        }

        await using var output = File.Create(outputTar);
        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: false);
        foreach (var file in manifest.Files)
        {
            var fetched = await fetcher.FetchAsync(manifest.Package, file, ct);
            var origin = fetched.DownloadedFrom is { } uri ? $"downloaded from {LookasideUrlTemplate.Display(uri)}" : "from this server's lookaside";
            await log.InfoAsync($"lookaside {file.Name} {file.HashType} ok ({origin})");
            await using var content = File.OpenRead(fetched.Path);
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, file.Name)
            {
                Mode = FileMode,
                ModificationTime = File.GetLastWriteTimeUtc(fetched.Path),
                DataStream = content,
            }, ct);
        }

        return manifest.Files.Count;
    }
}
