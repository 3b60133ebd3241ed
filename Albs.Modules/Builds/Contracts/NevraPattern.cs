using System.Globalization;

namespace Albs.Modules.Builds.Contracts;

/// <summary>One reading of a NEVRA filter: an omitted epoch matches any epoch, an omitted arch any arch.</summary>
/// <param name="Name">The package name (may contain dashes).</param>
/// <param name="Epoch">The epoch; null matches any (0 matches packages without an epoch too).</param>
/// <param name="Version">The version.</param>
/// <param name="Release">The release.</param>
/// <param name="Arch">The architecture (<c>src</c> for a source package); null matches any.</param>
public sealed record NevraAlternative(string Name, int? Epoch, string Version, string Release, string? Arch);

/// <summary>
/// The <c>nevra</c> filter of the build list, parsed. Accepted forms:
/// <c>name-[epoch:]version-release.arch</c>, <c>name-[epoch:]version-release</c> (any arch) and a package's file name
/// <c>name-version-release.arch.rpm</c> (any epoch: file names carry none). The name is everything before the
/// second-to-last dash. Without <c>.rpm</c>, the part after the release's last dot is read both as an arch
/// and as part of the release (<c>bash-5.1-2.el9</c> is release <c>2.el9</c> on any arch, or release <c>2</c> on arch
/// <c>el9</c>); a build matches when either reading matches.
/// </summary>
public sealed record NevraPattern(string Text, IReadOnlyList<NevraAlternative> Alternatives)
{
    /// <summary>The longest filter accepted (as the stored NEVRA column).</summary>
    public const int MaxLength = 512;

    /// <summary>Parses <paramref name="text"/>; false with a message for the user when it is not one of the accepted forms.</summary>
    public static bool TryParse(string? text, out NevraPattern? pattern, out string? error)
    {
        pattern = null;
        error = null;
        var value = text?.Trim() ?? "";
        if (value.Length is 0 or > MaxLength || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '*' or '?' or '%'))
        {
            error = $"'{text}' is not a NEVRA: use name-[epoch:]version-release[.arch] or a file name ending in .rpm (no spaces, slashes or wildcards; at most {MaxLength} characters)";
            return false;
        }

        var isFile = value.EndsWith(".rpm", StringComparison.Ordinal);
        var core = isFile ? value[..^4] : value;
        if (!TrySplit(core, out var name, out var epoch, out var version, out var release))
        {
            error = $"'{text}' is not a NEVRA: expected name-[epoch:]version-release[.arch] or name-version-release.arch.rpm";
            return false;
        }

        var alternatives = new List<NevraAlternative>();
        var dot = release.LastIndexOf('.');
        var (archRelease, arch) = dot > 0 && dot < release.Length - 1 ? (release[..dot], release[(dot + 1)..]) : (null, null);
        if (isFile)
        {
            if (epoch is not null || arch is null)
            {
                error = $"'{text}' is not a package file name: expected name-version-release.arch.rpm (file names carry no epoch)";
                return false;
            }

            alternatives.Add(new NevraAlternative(name, null, version, archRelease!, arch));
        }
        else
        {
            alternatives.Add(new NevraAlternative(name, epoch, version, release, null));
            if (arch is not null)
            {
                alternatives.Add(new NevraAlternative(name, epoch, version, archRelease!, arch));
            }
        }

        pattern = new NevraPattern(value, alternatives);
        return true;
    }

    /// <summary>
    /// Splits a NEVRA as the server stores it (<c>name-[epoch:]version-release.arch</c>, read from the RPM header);
    /// null when it does not have that shape.
    /// </summary>
    public static NevraAlternative? SplitStored(string? nevra)
    {
        if (nevra is null || !TrySplit(nevra, out var name, out var epoch, out var version, out var releaseArch))
        {
            return null;
        }

        var dot = releaseArch.LastIndexOf('.');
        return dot > 0 && dot < releaseArch.Length - 1
            ? new NevraAlternative(name, epoch, version, releaseArch[..dot], releaseArch[(dot + 1)..])
            : null;
    }

    private static bool TrySplit(string text, out string name, out int? epoch, out string version, out string release)
    {
        (name, epoch, version, release) = ("", null, "", "");
        var lastDash = text.LastIndexOf('-');
        if (lastDash <= 0)
        {
            return false;
        }

        var secondDash = text.LastIndexOf('-', lastDash - 1);
        if (secondDash <= 0)
        {
            return false;
        }

        name = text[..secondDash];
        var ev = text[(secondDash + 1)..lastDash];
        release = text[(lastDash + 1)..];
        var colon = ev.IndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(ev.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var e))
            {
                return false;
            }

            epoch = e;
            ev = ev[(colon + 1)..];
        }

        version = ev;
        return name.Length > 0 && version.Length > 0 && release.Length > 0 && !version.Contains(':') && !release.Contains(':') && !name.Contains(':');
    }
}
