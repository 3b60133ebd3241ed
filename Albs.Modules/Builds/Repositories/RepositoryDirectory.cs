using System.Globalization;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Common.Storage;

namespace Albs.Modules.Builds.Repositories;

/// <summary>
/// The disk layout of one build repository, <c>&lt;data&gt;/repos/builds/&lt;id&gt;/&lt;platform&gt;/&lt;arch&gt;/</c>:
/// complete generations in <c>gen-&lt;published&gt;-&lt;random&gt;/</c> (packages, <c>repodata/</c>,
/// <c>.albs-fingerprint</c>), work in progress in <c>.tmp-&lt;random&gt;/</c>, and the file
/// <c>current</c> naming the published generation. Publishing replaces <c>current</c> with one
/// <c>rename(2)</c>, so a reader sees the old repository or the new one, never a half-written one.
/// </summary>
internal sealed class RepositoryDirectory
{
    public const string FingerprintFile = ".albs-fingerprint";
    private const string CurrentFile = "current";
    private const string GenerationPrefix = "gen-";
    private const string TemporaryPrefix = ".tmp-";
    private const string StampFormat = "yyyyMMddHHmmssfff";

    /// <summary>Generations published this recently are kept, besides the last replaced one, for clients still reading them.</summary>
    private static readonly TimeSpan ReplacedGrace = TimeSpan.FromMinutes(10);

    /// <summary>Work left by a crash is removed after this; no generation takes that long.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(6);

    /// <param name="data">The data directory.</param>
    /// <param name="buildId">The build.</param>
    /// <param name="platform">Checked with <see cref="RepositoryContent.IsPlatformName"/>.</param>
    /// <param name="arch">Checked with <see cref="RepositoryContent.IsArchName"/>.</param>
    public RepositoryDirectory(DataDirectory data, long buildId, string platform, string arch)
    {
        if (!RepositoryContent.IsPlatformName(platform) || !RepositoryContent.IsArchName(arch))
        {
            throw new ArgumentException($"not a repository key: {platform}/{arch}");
        }

        Path = data.Combine("repos", "builds", buildId.ToString(CultureInfo.InvariantCulture), platform, arch);
    }

    public string Path { get; }

    /// <summary>The published generation's directory, or null before the first one.</summary>
    public string? Current()
    {
        string name;
        try
        {
            name = File.ReadAllText(System.IO.Path.Combine(Path, CurrentFile)).Trim();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var dir = System.IO.Path.Combine(Path, name);
        return IsGenerationName(name) && Directory.Exists(dir) ? dir : null;
    }

    /// <summary>The fingerprint a generation was made for, or null if it has none.</summary>
    public static string? FingerprintOf(string generation)
    {
        try
        {
            return File.ReadAllText(System.IO.Path.Combine(generation, FingerprintFile)).Trim();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>A new, empty directory to generate into; invisible to readers until published.</summary>
    public string CreateTemporary()
    {
        var dir = System.IO.Path.Combine(Path, TemporaryPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Turns a finished temporary directory into the current generation, atomically.</summary>
    /// <returns>The published generation's directory.</returns>
    public string Publish(string temporary, DateTime now)
    {
        var name = $"{GenerationPrefix}{now.ToString(StampFormat, CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..8]}";
        var generation = System.IO.Path.Combine(Path, name);
        Directory.Move(temporary, generation);

        var pointer = System.IO.Path.Combine(Path, $".current-{Guid.NewGuid():N}");
        File.WriteAllText(pointer, name + "\n");
        File.Move(pointer, System.IO.Path.Combine(Path, CurrentFile), overwrite: true);
        return generation;
    }

    /// <summary>
    /// The file at <paramref name="relativePath"/> (<c>repodata/&lt;name&gt;</c> or <c>&lt;package&gt;.rpm</c>)
    /// in the current generation, else in an older one still kept (a client may have read the old
    /// <c>repomd.xml</c> just before a switch). Only plain names (no separators, no leading dot) of
    /// regular files are found, so nothing outside the generation is reachable.
    /// </summary>
    public string? Find(string relativePath)
    {
        var (folder, name) = relativePath.Split('/') switch
        {
            [var file] when RepositoryContent.IsPackageFileName(file) => ("", file),
            ["repodata", var file] when ArtifactNames.IsSafe(file) => ("repodata", file),
            _ => ("", ""),
        };
        if (name.Length == 0)
        {
            return null;
        }

        var current = Current();
        var generations = Generations().Select(g => g.Path).Where(g => g != current);
        foreach (var generation in current is null ? generations : generations.Prepend(current))
        {
            var file = new FileInfo(System.IO.Path.Combine(generation, folder, name));
            if (file.Exists && file.LinkTarget is null)
            {
                return file.FullName;
            }
        }

        return null;
    }

    /// <summary>
    /// Removes generations nobody should still be reading (keeping the current one, the newest other
    /// one, and any replaced within <see cref="ReplacedGrace"/>) and work abandoned by a crash.
    /// Best effort: another host may be cleaning the same directory.
    /// </summary>
    public void CleanUp(DateTime now)
    {
        var current = Current();
        var older = Generations().Where(g => g.Path != current).OrderByDescending(g => g.Published).Skip(1);
        var doomed = older.Where(g => now - g.Published > ReplacedGrace).Select(g => g.Path)
            .Concat(Directory.EnumerateDirectories(Path, TemporaryPrefix + "*").Where(d => now - Directory.GetLastWriteTimeUtc(d) > AbandonedAfter));
        foreach (var dir in doomed.ToList())
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone already, or busy: the next clean-up tries again.
            }
        }
    }

    /// <summary>Published generations, newest first.</summary>
    private List<(string Path, DateTime Published)> Generations()
    {
        if (!Directory.Exists(Path))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(Path, GenerationPrefix + "*")
            .Select(dir => (Path: dir, Name: System.IO.Path.GetFileName(dir)))
            .Where(g => IsGenerationName(g.Name))
            .Select(g => (g.Path, Published: ParseStamp(g.Name)))
            .OrderByDescending(g => g.Published)];
    }

    private static DateTime ParseStamp(string generationName) =>
        DateTime.ParseExact(generationName.AsSpan(GenerationPrefix.Length, StampFormat.Length), StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static bool IsGenerationName(string name) =>
        name.Length == GenerationPrefix.Length + StampFormat.Length + 9
        && name.StartsWith(GenerationPrefix, StringComparison.Ordinal)
        && DateTime.TryParseExact(name.AsSpan(GenerationPrefix.Length, StampFormat.Length), StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
        && name[^9] == '-' && name[^8..].All(char.IsAsciiHexDigitLower);
}
