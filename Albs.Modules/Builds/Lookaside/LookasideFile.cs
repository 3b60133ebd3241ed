using System.Security.Cryptography;
using System.Text;

namespace Albs.Modules.Builds.Lookaside;

/// <summary>
/// A file that dist-git keeps out of git, as a <c>sources</c> or <c>.&lt;package&gt;.metadata</c>
/// line lists it: its plain name in the sources directory and its checksum (lower-case type and hex).
/// </summary>
internal sealed record LookasideFile(string Name, string HashType, string Hash);

/// <summary>The checksum types dist-git metadata uses, by the lower-case names lookaside URLs carry.</summary>
internal static class LookasideHash
{
    public static IReadOnlyList<string> Types { get; } = ["md5", "sha1", "sha256", "sha512"];

    /// <summary>Hex digits of a digest of this type; 0 for a type Albs does not verify.</summary>
    public static int HexLength(string type) => type switch
    {
        "md5" => 32,
        "sha1" => 40,
        "sha256" => 64,
        "sha512" => 128,
        _ => 0,
    };

    /// <summary>Null when <paramref name="hash"/> is a digest of <paramref name="type"/>; otherwise why not.</summary>
    public static string? Validate(string type, string hash)
    {
        var length = HexLength(type);
        if (length == 0)
        {
            return $"'{LookasideNames.Printable(type)}' is not a supported hash type (md5, sha1, sha256 or sha512)";
        }

        return hash.Length == length && hash.All(char.IsAsciiHexDigit)
            ? null
            : $"'{LookasideNames.Printable(hash)}' is not {(type == "md5" ? "an" : "a")} {type} digest of {length} hex digits";
    }

    /// <summary>An incremental hash of a type for which <see cref="HexLength"/> is not 0.</summary>
    public static IncrementalHash Create(string type) => IncrementalHash.CreateHash(type switch
    {
        // md5 and sha1 only check files against digests that dist-git repositories already name;
        // they are never chosen by Albs (its own store is content-addressed with sha256).
        "md5" => HashAlgorithmName.MD5,
        "sha1" => HashAlgorithmName.SHA1,
        "sha256" => HashAlgorithmName.SHA256,
        "sha512" => HashAlgorithmName.SHA512,
        _ => throw new ArgumentException($"unsupported hash type '{type}'", nameof(type)),
    });
}

/// <summary>Names that may become a file name on the server and the agent, or a URL segment.</summary>
internal static class LookasideNames
{
    /// <summary>
    /// A plain file or package name: 1–255 letters, digits and <c>. _ - + ~ ^ @</c>, not starting
    /// with <c>.</c> or <c>-</c>, without <c>..</c>. No separators, spaces, quotes or control characters.
    /// </summary>
    public static bool IsSafe(string name) =>
        name.Length is > 0 and <= 255 && name[0] is not ('.' or '-') && !name.Contains("..", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+' or '~' or '^' or '@');

    /// <summary>A hostile value made safe to quote in a message: printable ASCII only, at most 80 characters.</summary>
    public static string Printable(string value)
    {
        var text = new StringBuilder();
        foreach (var c in value.Take(80))
        {
            text.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return value.Length > 80 ? text.Append('…').ToString() : text.ToString();
    }
}
