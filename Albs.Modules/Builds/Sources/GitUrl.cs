namespace Albs.Modules.Builds.Sources;

/// <summary>
/// Validates a git repository URL given by a user. Only plain network transports are allowed:
/// git's "transport::address" remote helpers (<c>ext::</c> runs a command, <c>fd::</c> uses file
/// descriptors) and anything that could be read as an option are refused.
/// </summary>
internal static class GitUrl
{
    /// <summary>Schemes accepted by default; <c>file</c> only when configured (local mirrors, tests).</summary>
    public static readonly string[] NetworkSchemes = ["https", "http", "git", "ssh"];

    public const int MaxLength = 2048;

    /// <summary>Null when valid; otherwise what is wrong.</summary>
    public static string? Validate(string? url, bool allowFile)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "a git URL is required";
        }

        if (url.Length > MaxLength)
        {
            return $"a git URL is at most {MaxLength} characters";
        }

        if (url.StartsWith('-'))
        {
            return "a git URL cannot start with '-'";
        }

        if (url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return "a git URL cannot contain spaces or control characters";
        }

        if (url.Contains("::", StringComparison.Ordinal))
        {
            return "git remote helpers ('transport::address', such as ext::) are not allowed";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "a git URL must be absolute, e.g. https://git.example.org/rpms/bash.git";
        }

        var allowed = allowFile ? [.. NetworkSchemes, "file"] : NetworkSchemes;
        if (!allowed.Contains(uri.Scheme, StringComparer.Ordinal))
        {
            return $"the URL scheme must be one of {string.Join(", ", allowed)}";
        }

        if (uri.Scheme != "file" && string.IsNullOrEmpty(uri.Host))
        {
            return "a git URL needs a host";
        }

        if (uri.Host.StartsWith('-'))
        {
            return "a git URL's host cannot start with '-'";
        }

        return null;
    }
}
