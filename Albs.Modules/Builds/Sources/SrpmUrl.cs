namespace Albs.Modules.Builds.Sources;

/// <summary>Validates the URL of a source RPM to build from.</summary>
internal static class SrpmUrl
{
    public static string? Validate(string? url, bool allowFile)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2048)
        {
            return "an SRPM URL of at most 2048 characters is required";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return "the SRPM URL must be an absolute URL without spaces";
        }

        if (!(uri.Scheme is "https" or "http" || (allowFile && uri.Scheme == "file")))
        {
            return allowFile ? "the SRPM URL must be https, http or file" : "the SRPM URL must be https or http";
        }

        return uri.AbsolutePath.EndsWith(".src.rpm", StringComparison.Ordinal) ? null : "the SRPM URL must name a .src.rpm file";
    }
}
