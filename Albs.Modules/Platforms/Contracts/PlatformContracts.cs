using System.Text.Json.Serialization;

namespace Albs.Modules.Platforms.Contracts;

/// <summary>The architectures a platform can build for.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "Arch names as rpm spells them.")]
public static class PlatformArches
{
    public const string X86_64 = "x86_64";
    public const string Aarch64 = "aarch64";
    public const string Ppc64le = "ppc64le";
    public const string S390x = "s390x";
    public const string I686 = "i686";

    /// <summary>Every known architecture, in the order the API lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [X86_64, Aarch64, Ppc64le, S390x, I686];

    /// <summary>True for one of <see cref="All"/> (exact, lower-case spelling).</summary>
    public static bool IsKnown(string? arch) => arch is not null && All.Contains(arch, StringComparer.Ordinal);
}

/// <summary>A repository the build chroot installs build dependencies from.</summary>
/// <param name="Name">dnf repository id (<c>[name]</c> section), e.g. <c>baseos</c>.</param>
/// <param name="Url">http, https or file URL; <c>$basearch</c> and <c>$releasever</c> are left for dnf.</param>
/// <param name="Arches">The target arches that use this repository; null or empty for all of the platform's arches.</param>
public sealed record PlatformRepositoryDto(string Name, string Url, IReadOnlyList<string>? Arches = null);

/// <summary>A build platform (distribution release) as the API and other modules see it.</summary>
/// <param name="Name">Unique name (ignoring case), e.g. <c>AlmaLinux-9</c>.</param>
/// <param name="DistributionName">e.g. <c>AlmaLinux</c>.</param>
/// <param name="DistributionVersion">The release version, used as dnf's <c>releasever</c>, e.g. <c>9</c>.</param>
/// <param name="Arches">Architectures built for, from <see cref="PlatformArches.All"/>.</param>
/// <param name="NoarchArch">The arch whose build task also produces the noarch packages (one of <paramref name="Arches"/>).</param>
/// <param name="DistTag">The <c>%dist</c> value, e.g. <c>.el9</c>.</param>
/// <param name="RpmMacros">Extra rpm macros: name without <c>%</c> → value.</param>
/// <param name="Repositories">Build-dependency repositories.</param>
/// <param name="MockTemplate">Mock config lines (Python) placed after the generated core settings; trusted admin input.</param>
/// <param name="TimeoutMinutes">Longest a build of one arch may take.</param>
/// <param name="IsActive">Whether new builds may target this platform.</param>
/// <param name="CreatedAt">When the platform was stored (UTC).</param>
/// <param name="UpdatedAt">When its definition last changed (UTC).</param>
public sealed record PlatformDto(
    string Name,
    string DistributionName,
    string DistributionVersion,
    IReadOnlyList<string> Arches,
    string NoarchArch,
    string DistTag,
    IReadOnlyDictionary<string, string> RpmMacros,
    IReadOnlyList<PlatformRepositoryDto> Repositories,
    string MockTemplate,
    int TimeoutMinutes,
    bool IsActive,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    /// <summary>The build timeout as a time span (not serialized: the API speaks <c>timeoutMinutes</c>).</summary>
    [JsonIgnore]
    public TimeSpan Timeout => TimeSpan.FromMinutes(TimeoutMinutes);
}

/// <summary>
/// Body of <c>POST /api/v1/platforms</c> and <c>PUT /api/v1/platforms/{name}</c>, and one entry of
/// the definitions file. PUT replaces the whole platform: fields left out take their defaults.
/// </summary>
/// <param name="Name">Required on POST (<c>^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$</c>); on PUT absent or equal to the platform's name (no renaming).</param>
/// <param name="DistributionName">Required, at most 64 characters.</param>
/// <param name="DistributionVersion">Required, e.g. <c>9</c> (<c>^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$</c>).</param>
/// <param name="Arches">Required, at least one of <see cref="PlatformArches.All"/>, no repeats.</param>
/// <param name="NoarchArch">Default: <c>x86_64</c> when built, else the first arch.</param>
/// <param name="DistTag">Required, <c>^\.[A-Za-z0-9._+~-]{1,32}$</c>, e.g. <c>.el9</c>.</param>
/// <param name="RpmMacros">Default none; names <c>^[A-Za-z_][A-Za-z0-9_]*$</c> without <c>%</c>; values non-empty, without NUL or Jinja delimiters.</param>
/// <param name="Repositories">Default none; unique names; http, https or file URLs; arches among the platform's.</param>
/// <param name="MockTemplate">Default empty; at most 64 KiB.</param>
/// <param name="TimeoutMinutes">1–4320; default 720 (12 hours).</param>
/// <param name="IsActive">Default true.</param>
public sealed record PlatformRequest(
    string? Name,
    string? DistributionName,
    string? DistributionVersion,
    IReadOnlyList<string>? Arches,
    string? NoarchArch = null,
    string? DistTag = null,
    IReadOnlyDictionary<string, string>? RpmMacros = null,
    IReadOnlyList<PlatformRepositoryDto>? Repositories = null,
    string? MockTemplate = null,
    int? TimeoutMinutes = null,
    bool? IsActive = null);

/// <summary>Read access to platforms for other modules (builds pick their platform here).</summary>
public interface IPlatformCatalog
{
    /// <summary>The platform with this name (ignoring case), or null.</summary>
    Task<PlatformDto?> FindAsync(string name, CancellationToken cancellationToken);

    /// <summary>All platforms ordered by name; inactive ones only when <paramref name="includeInactive"/>.</summary>
    Task<IReadOnlyList<PlatformDto>> ListAsync(bool includeInactive, CancellationToken cancellationToken);
}
