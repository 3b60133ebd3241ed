namespace Albs.Modules.Builds.Sources;

/// <summary>Package names guessed from where a source comes from, until the SRPM header says.</summary>
internal static class SourceNames
{
    /// <summary><c>https://git.almalinux.org/rpms/bash.git</c> → <c>bash</c>.</summary>
    public static string FromGitUrl(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url;
        var last = path.TrimEnd('/').Split('/').LastOrDefault(s => s.Length > 0) ?? url;
        return last.EndsWith(".git", StringComparison.Ordinal) ? last[..^4] : last;
    }

    /// <summary><c>…/bash-5.1.8-9.el9.src.rpm</c> → <c>bash</c> (name-version-release).</summary>
    public static string FromSrpmUrl(string url)
    {
        var file = FromGitUrl(url);
        if (file.EndsWith(".src.rpm", StringComparison.Ordinal))
        {
            file = file[..^".src.rpm".Length];
        }

        var parts = file.Split('-');
        return parts.Length >= 3 ? string.Join('-', parts[..^2]) : file;
    }
}
