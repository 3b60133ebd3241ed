using System.Text.RegularExpressions;

namespace Albs.Modules.Builds.Lookaside;

/// <summary>
/// <c>Builds:LookasideUrl</c>: an http(s) URL with the placeholders <c>{name}</c> (package),
/// <c>{filename}</c>, <c>{hashtype}</c> (md5, sha1, sha256, sha512) and <c>{hash}</c>, e.g. Fedora's
/// <c>https://src.fedoraproject.org/repo/pkgs/{name}/{filename}/{hashtype}/{hash}/{filename}</c> or
/// AlmaLinux's <c>https://sources.almalinux.org/{hash}</c>. Values are URL-escaped when substituted.
/// </summary>
internal static partial class LookasideUrlTemplate
{
    /// <summary>Null when <paramref name="template"/> is unset or usable; otherwise why not.</summary>
    public static string? Validate(string? template)
    {
        if (string.IsNullOrEmpty(template))
        {
            return null;
        }

        if (!template.Contains("{hash}", StringComparison.Ordinal))
        {
            return "Builds:LookasideUrl must contain {hash}";
        }

        var expanded = Placeholder().Replace(template, "x");
        if (expanded.Contains('{', StringComparison.Ordinal) || expanded.Contains('}', StringComparison.Ordinal))
        {
            return "Builds:LookasideUrl may only use the placeholders {name}, {filename}, {hashtype} and {hash}";
        }

        return Uri.TryCreate(expanded, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? null
            : "Builds:LookasideUrl must be an absolute http or https URL";
    }

    /// <summary>The URL of one file; every value is escaped as URL data, so it stays within its segment.</summary>
    public static Uri Expand(string template, string name, string fileName, string hashType, string hash) =>
        new(Placeholder().Replace(template, m => Uri.EscapeDataString(m.Groups[1].Value switch
        {
            "name" => name,
            "filename" => fileName,
            "hashtype" => hashType,
            _ => hash,
        })));

    /// <summary>A URL to show in logs: without user info (credentials), query kept.</summary>
    public static string Display(Uri uri) => uri.GetComponents(UriComponents.HttpRequestUrl, UriFormat.UriEscaped);

    [GeneratedRegex(@"\{(name|filename|hashtype|hash)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
