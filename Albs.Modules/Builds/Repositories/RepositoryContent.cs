using System.Security.Cryptography;
using System.Text;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Planning;

namespace Albs.Modules.Builds.Repositories;

/// <summary>A package a completed task of a build stored, with where that task ran.</summary>
internal sealed record StoredPackage(long TaskId, string Platform, string TaskArch, string Type, string Name, string Sha256);

/// <summary>A file of a repository: its name there and the stored content it is.</summary>
internal sealed record RepositoryPackage(string Name, string Sha256);

/// <summary>
/// What a build repository holds (a pure function of the build's stored packages) and the
/// fingerprint that tells whether a generated repository is still current.
/// </summary>
internal static class RepositoryContent
{
    /// <summary>Bumped when the generation itself changes (createrepo_c options), so every repository is redone once.</summary>
    private const string FormatVersion = "albs-repo-v1";

    /// <summary>
    /// The packages of <paramref name="platform"/>/<paramref name="arch"/>: the SRPMs for <c>src</c>;
    /// otherwise the RPMs that task arch produced (its noarch subpackages included) plus the noarch
    /// RPMs of the platform's other arch tasks, since a noarch package is built on one arch only and
    /// is installable on all. One file per name: the arch's own task first, then by task id.
    /// </summary>
    public static IReadOnlyList<RepositoryPackage> Select(IEnumerable<StoredPackage> packages, string platform, string arch)
    {
        var candidates = packages.Where(p => p.Platform == platform && IsPackageFileName(p.Name));
        candidates = arch == BuildPlanner.SrcArch
            ? candidates.Where(p => p.TaskArch == BuildPlanner.SrcArch && p.Type == "srpm")
            : candidates.Where(p => p.Type == "rpm" && p.TaskArch != BuildPlanner.SrcArch
                && (p.TaskArch == arch || p.Name.EndsWith(".noarch.rpm", StringComparison.Ordinal)));
        return [.. candidates
            .OrderBy(p => p.TaskArch == arch ? 0 : 1).ThenBy(p => p.TaskId)
            .DistinctBy(p => p.Name, StringComparer.Ordinal)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => new RepositoryPackage(p.Name, p.Sha256.ToLowerInvariant()))];
    }

    /// <summary>SHA-256 over the sorted (name, content) pairs: equal exactly when the repository would be the same.</summary>
    public static string Fingerprint(IReadOnlyList<RepositoryPackage> packages)
    {
        var text = new StringBuilder(FormatVersion).Append('\n');
        foreach (var package in packages.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            text.Append(package.Sha256).Append(' ').Append(package.Name).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>An artifact name that can be a file of a repository directory.</summary>
    public static bool IsPackageFileName(string name) =>
        ArtifactNames.IsSafe(name) && name.EndsWith(".rpm", StringComparison.Ordinal);

    /// <summary>A platform as a path segment: the platform naming rule, so never <c>.</c>, <c>..</c> or a separator.</summary>
    public static bool IsPlatformName(string platform) =>
        platform.Length is > 0 and <= 64 && char.IsAsciiLetterOrDigit(platform[0])
        && platform.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '+' or '-');

    /// <summary>An arch as a path segment: <c>src</c>, <c>x86_64</c>, <c>aarch64</c>, … (lower-case letters, digits, underscore).</summary>
    public static bool IsArchName(string arch) =>
        arch.Length is > 0 and <= 16 && arch.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');
}
