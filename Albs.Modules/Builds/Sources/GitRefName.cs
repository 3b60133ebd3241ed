using System.Text.RegularExpressions;

namespace Albs.Modules.Builds.Sources;

/// <summary>
/// Validates a git branch, tag or commit given by a user, by the rules of
/// <c>git check-ref-format --allow-onelevel</c>, and more strictly: no leading <c>-</c> (it would
/// read as an option), no characters outside printable ASCII and no shell metacharacters.
/// </summary>
internal static partial class GitRefName
{
    public const int MaxLength = 255;

    private const string ShellCharacters = "$`;|&<>()'\"!";

    /// <summary>Null when valid; otherwise what is wrong, in words a user can act on.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a ref (branch, tag or commit) is required";
        }

        if (name.Length > MaxLength)
        {
            return $"a ref is at most {MaxLength} characters";
        }

        if (name.StartsWith('-'))
        {
            return "a ref cannot start with '-'";
        }

        foreach (var c in name)
        {
            if (c < 0x21 || c >= 0x7F)
            {
                return "a ref may contain only printable ASCII characters without spaces";
            }

            if (c is '~' or '^' or ':' or '?' or '*' or '[' or '\\')
            {
                return $"a ref cannot contain '{c}'";
            }

            // Git allows these, but no real branch or tag needs them and they mean something to a
            // shell: refusing them keeps a ref harmless even where someone forgets to quote it.
            if (ShellCharacters.Contains(c, StringComparison.Ordinal))
            {
                return $"a ref cannot contain '{c}'";
            }
        }

        if (name == "@")
        {
            return "'@' is not a ref";
        }

        if (name.Contains("..", StringComparison.Ordinal) || name.Contains("@{", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal))
        {
            return "a ref cannot contain '..', '@{' or '//'";
        }

        if (name.StartsWith('/') || name.EndsWith('/') || name.EndsWith('.'))
        {
            return "a ref cannot start or end with '/' or end with '.'";
        }

        foreach (var component in name.Split('/'))
        {
            if (component.StartsWith('.') || component.EndsWith(".lock", StringComparison.Ordinal))
            {
                return "no part of a ref may start with '.' or end with '.lock'";
            }
        }

        return null;
    }

    /// <summary>A full or abbreviated commit id (SHA-1 or SHA-256, 7 to 64 hex digits).</summary>
    public static bool IsCommitId(string name) => CommitId().IsMatch(name);

    [GeneratedRegex("^[0-9a-f]{7,64}$")]
    private static partial Regex CommitId();
}
