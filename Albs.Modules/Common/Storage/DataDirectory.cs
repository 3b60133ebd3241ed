namespace Albs.Modules.Common.Storage;

/// <summary>The <c>Albs</c> configuration section: where the system keeps its files.</summary>
public sealed class AlbsOptions
{
    public const string SectionName = "Albs";

    /// <summary>
    /// Root of everything Albs writes: the SQLite database, artifacts, logs, repositories, keys.
    /// Relative paths are resolved against the host's content root.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// The address clients and build agents reach this server at (scheme, host, port, optional path
    /// prefix), used where an absolute URL must be handed out, such as build repositories in mock configs.
    /// </summary>
    public string PublicUrl { get; set; } = "http://127.0.0.1:5080";
}

/// <summary>The resolved, existing data directory.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    /// <summary>Absolute path of the data directory.</summary>
    public string Path { get; }

    /// <summary>An absolute path inside the data directory; refuses parts that would lead outside it.</summary>
    public string Combine(params string[] parts)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine([Path, .. parts]));
        if (full != Path && !full.StartsWith(Path + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException("Path escapes the data directory.", nameof(parts));
        }

        return full;
    }
}
