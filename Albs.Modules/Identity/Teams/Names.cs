using System.Text.RegularExpressions;

namespace Albs.Modules.Identity.Teams;

/// <summary>Team and product names: safe in URLs, paths and repository names.</summary>
internal static partial class Names
{
    public static string? Validate(string? name, string what) =>
        string.IsNullOrWhiteSpace(name) ? $"{what} name is required"
        : !Pattern().IsMatch(name) ? $"{what} name must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"
        : null;

    public static string Normalize(string name) => name.Trim().ToLowerInvariant();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex Pattern();
}
