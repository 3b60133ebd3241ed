using System.Text.RegularExpressions;

namespace Albs.Modules.Platforms.Catalog;

/// <summary>The syntax rules for everything that ends up in a mock config or an rpmbuild argument.</summary>
internal static partial class PlatformRules
{
    public const int MaxValueLength = 4096;
    public const int MaxTemplateLength = 65536;
    public const int MinTimeoutMinutes = 1;
    public const int MaxTimeoutMinutes = 4320;
    public const int DefaultTimeoutMinutes = 720;

    /// <summary>Platform names: also used in mock root names and URLs.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")]
    public static partial Regex PlatformName();

    [GeneratedRegex(@"^\.[A-Za-z0-9._+~-]{1,32}$")]
    public static partial Regex DistTag();

    /// <summary>dnf's releasever.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
    public static partial Regex DistributionVersion();

    /// <summary>rpm macro names, without the leading <c>%</c>.</summary>
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    public static partial Regex MacroName();

    /// <summary>Names for <c>--with</c>/<c>--without</c>, as mock accepts them.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_.+-]{1,64}$")]
    public static partial Regex ConditionalName();

    /// <summary>dnf repository ids (ini section names).</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
    public static partial Regex RepositoryName();

    /// <summary>The URL characters of RFC 3986 (no spaces, quotes, backslashes or braces).</summary>
    [GeneratedRegex(@"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{1,2048}$")]
    private static partial Regex UrlCharacters();

    /// <summary>Why <paramref name="url"/> is not a usable repository URL, or null.</summary>
    public static string? CheckUrl(string? url)
    {
        if (string.IsNullOrEmpty(url) || !UrlCharacters().IsMatch(url))
        {
            return "must be an absolute http, https or file URL without spaces, quotes, backslashes or braces (at most 2048 characters)";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeFile)
            || !url.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase))
        {
            return "must be an absolute http, https or file URL";
        }

        return null;
    }

    /// <summary>
    /// Why a free-text value (macro value, define value) cannot be written into a mock config, or
    /// null. Mock renders config strings with Jinja until they stop changing, so text that
    /// contains Jinja delimiters cannot be made inert by escaping and is refused.
    /// </summary>
    public static string? CheckValue(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "must not be empty (rpm refuses a macro with an empty body)";
        }

        if (value.Length > MaxValueLength)
        {
            return $"must be at most {MaxValueLength} characters";
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return "must not contain NUL";
        }

        if (value.Contains("{{", StringComparison.Ordinal) || value.Contains("{%", StringComparison.Ordinal) || value.Contains("{#", StringComparison.Ordinal))
        {
            return "must not contain '{{', '{%' or '{#' (mock would evaluate them as Jinja)";
        }

        return null;
    }

    public static string NormalizeName(string name) => name.ToLowerInvariant();
}
