using System.Globalization;

namespace Albs.Web.Components.Shared;

/// <summary>Times and sizes as the build pages show them.</summary>
public static class BuildFormat
{
    /// <summary>The statuses after which a build or task no longer changes.</summary>
    public static bool IsFinished(string status) => status is "completed" or "failed" or "cancelled" or "excluded";

    /// <summary>A UTC time as <c>2026-11-22 14:30:05</c>, or an empty string.</summary>
    public static string Time(DateTime? at) => at?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";

    /// <summary>How long from <paramref name="start"/> to <paramref name="end"/> (or to <paramref name="now"/> while running): <c>1h 02m</c>, <c>3m 05s</c>, <c>42s</c>.</summary>
    public static string Duration(DateTime? start, DateTime? end, DateTime now)
    {
        if (start is null)
        {
            return "";
        }

        var span = (end ?? now) - start.Value;
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes:00}m")
            : span.TotalMinutes >= 1
                ? string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m {span.Seconds:00}s")
                : string.Create(CultureInfo.InvariantCulture, $"{span.Seconds}s");
    }

    /// <summary>A size in bytes for people: <c>12.3 KiB</c>.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>A link to the commit on its forge when the source is an http(s) git URL, else null.</summary>
    public static string? CommitUrl(string url, string? commit)
    {
        if (string.IsNullOrEmpty(commit) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return null;
        }

        var repository = url.TrimEnd('/');
        if (repository.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            repository = repository[..^4];
        }

        return $"{repository}/commit/{Uri.EscapeDataString(commit)}";
    }
}
