using System.Formats.Tar;
using System.Text;

namespace Albs.Modules.Builds.Lookaside;

/// <summary>What a tree's dist-git metadata lists: the package name lookaside URLs use, and the files.</summary>
internal sealed record LookasideManifest(string Package, IReadOnlyList<LookasideFile> Files);

/// <summary>
/// Reads dist-git metadata at the top of an exported tree, without running anything: Fedora's
/// <c>sources</c> (<c>SHA512 (name-1.0.tar.gz) = &lt;hex&gt;</c>, or the old <c>&lt;md5&gt;  name</c>)
/// and CentOS/AlmaLinux's <c>.&lt;package&gt;.metadata</c> (<c>&lt;sha1 or sha256&gt; SOURCES/name</c>).
/// Every line is validated strictly; the first bad one is an error naming the file and line.
/// </summary>
internal static class LookasideMetadata
{
    public const string SourcesFile = "sources";

    private const string MetadataSuffix = ".metadata";
    private const string SourcesPrefix = "SOURCES/";
    private const int MaxFileBytes = 1 << 20;

    /// <summary>The manifest of an exported tree (<c>git archive</c> tar); no files when it has no metadata.</summary>
    /// <param name="tarPath">The exported tree.</param>
    /// <param name="repositoryName">
    /// The package name for a <c>sources</c> file (dist-git names lookaside paths after the repository);
    /// a <c>.&lt;package&gt;.metadata</c> file names its package itself.
    /// </param>
    /// <param name="ct">Cancels the read.</param>
    /// <exception cref="LookasideException">The metadata is malformed.</exception>
    public static async Task<LookasideManifest> ReadAsync(string tarPath, string repositoryName, CancellationToken ct)
    {
        string? sources = null;
        (string Name, string Text)? metadata = null;
        await using var stream = File.OpenRead(tarPath);
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
            var isSources = name == SourcesFile;
            if (entry.EntryType == TarEntryType.Directory || (!isSources && !IsMetadataFileName(name)))
            {
                continue;
            }

            var text = await ReadTextAsync(name, entry, ct);
            if (isSources)
            {
                sources = text;
            }
            else if (metadata is { } other)
            {
                throw Invalid($"the tree has two metadata files, {other.Name} and {LookasideNames.Printable(name)}");
            }
            else
            {
                metadata = (name, text);
            }
        }

        return Combine(sources, metadata, repositoryName);
    }

    /// <summary>
    /// Joins both files' lists; a name in both is taken from <c>sources</c> (dist-git's current format).
    /// The package is the one a metadata file names, else the repository's name.
    /// </summary>
    internal static LookasideManifest Combine(string? sources, (string Name, string Text)? metadata, string repositoryName)
    {
        var files = sources is null ? [] : ParseSources(sources).ToList();
        var package = repositoryName;
        if (metadata is { } meta)
        {
            package = PackageOf(meta.Name);
            files.AddRange(ParseMetadata(meta.Name, meta.Text).Where(m => files.TrueForAll(f => f.Name != m.Name)));
        }

        if (files.Count > 0 && !LookasideNames.IsSafe(package))
        {
            throw Invalid($"cannot name the package for lookaside URLs: '{LookasideNames.Printable(package)}' is not a plain name");
        }

        return new LookasideManifest(package, files);
    }

    /// <summary>Parses a Fedora-style <c>sources</c> file.</summary>
    public static IReadOnlyList<LookasideFile> ParseSources(string text) => Parse(SourcesFile, text, ParseSourcesLine);

    /// <summary>Parses a CentOS/AlmaLinux-style <c>.&lt;package&gt;.metadata</c> file.</summary>
    public static IReadOnlyList<LookasideFile> ParseMetadata(string fileName, string text) => Parse(fileName, text, ParseMetadataLine);

    /// <summary><c>.bash.metadata</c> and the like (a hidden file at the top of the tree).</summary>
    public static bool IsMetadataFileName(string name) =>
        name.Length > MetadataSuffix.Length + 1 && name[0] == '.' && name.EndsWith(MetadataSuffix, StringComparison.Ordinal) && !name.Contains('/', StringComparison.Ordinal);

    /// <summary><c>.bash.metadata</c> → <c>bash</c>.</summary>
    public static string PackageOf(string metadataFileName)
    {
        var package = metadataFileName[1..^MetadataSuffix.Length];
        return LookasideNames.IsSafe(package)
            ? package
            : throw Invalid($"{LookasideNames.Printable(metadataFileName)}: '{LookasideNames.Printable(package)}' is not a plain package name");
    }

    private static List<LookasideFile> Parse(string fileName, string text, Func<string, (LookasideFile? File, string? Error)> parseLine)
    {
        var files = new List<LookasideFile>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            if (line.Length == 0 || line.All(c => c is ' ' or '\t'))
            {
                continue;
            }

            var (file, error) = parseLine(line);
            if (file is null || error is not null)
            {
                throw Invalid($"{LookasideNames.Printable(fileName)} line {i + 1}: {error}");
            }

            if (files.Exists(f => f.Name == file.Name))
            {
                throw Invalid($"{LookasideNames.Printable(fileName)} line {i + 1}: {file.Name} is listed twice");
            }

            files.Add(file);
        }

        return files;
    }

    /// <summary><c>SHA512 (name) = hex</c> (any supported type, as <c>sha512sum --tag</c> writes) or <c>md5hex  name</c>.</summary>
    private static (LookasideFile?, string?) ParseSourcesLine(string line)
    {
        var open = line.IndexOf(" (", StringComparison.Ordinal);
        var close = line.LastIndexOf(") = ", StringComparison.Ordinal);
        if (open > 0 && close > open)
        {
            return Entry(line[..open].ToLowerInvariant(), line[(open + 2)..close], line[(close + 4)..]);
        }

        var gap = line.IndexOf("  ", StringComparison.Ordinal);
        return gap > 0
            ? Entry("md5", line[(gap + 2)..], line[..gap])
            : (null, $"expected 'SHA512 (file) = <hex>' or '<md5 hex>  file', found '{LookasideNames.Printable(line)}'");
    }

    /// <summary><c>hex SOURCES/name</c>; the digest's length says sha1 or sha256.</summary>
    private static (LookasideFile?, string?) ParseMetadataLine(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return (null, $"expected '<sha1 or sha256 hex> SOURCES/file', found '{LookasideNames.Printable(line)}'");
        }

        var (hash, path) = (line[..space], line[(space + 1)..]);
        var type = hash.Length switch
        {
            40 => "sha1",
            64 => "sha256",
            _ => null,
        };
        if (type is null)
        {
            return (null, $"'{LookasideNames.Printable(hash)}' is not a sha1 (40 hex digits) or sha256 (64 hex digits) digest");
        }

        return Entry(type, path.StartsWith(SourcesPrefix, StringComparison.Ordinal) ? path[SourcesPrefix.Length..] : path, hash);
    }

    private static (LookasideFile?, string?) Entry(string type, string name, string hash)
    {
        if (LookasideHash.HexLength(type) == 0)
        {
            return (null, $"'{LookasideNames.Printable(type)}' is not a supported hash type (md5, sha1, sha256 or sha512)");
        }

        if (!LookasideNames.IsSafe(name))
        {
            return (null, $"'{LookasideNames.Printable(name)}' is not a plain file name");
        }

        return LookasideHash.Validate(type, hash) is { } error
            ? (null, error)
            : (new LookasideFile(name, type, hash.ToLowerInvariant()), null);
    }

    private static async Task<string> ReadTextAsync(string name, TarEntry entry, CancellationToken ct)
    {
        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
        {
            throw Invalid($"{LookasideNames.Printable(name)} is not a regular file");
        }

        if (entry.Length > MaxFileBytes)
        {
            throw Invalid($"{LookasideNames.Printable(name)} is larger than {MaxFileBytes / 1024} KiB");
        }

        if (entry.DataStream is null)
        {
            return "";
        }

        using var buffer = new MemoryStream();
        await entry.DataStream.CopyToAsync(buffer, ct);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static LookasideException Invalid(string message) => new(LookasideFailure.Invalid, message);
}
