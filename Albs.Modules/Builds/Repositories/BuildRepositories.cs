using System.Globalization;
using System.Text.Json;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Albs.Modules.Platforms.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Builds.Repositories;

/// <summary>A repository of a build as <c>GET /api/v1/builds/{id}/repos</c> lists it.</summary>
/// <param name="Platform">The platform the packages were built for.</param>
/// <param name="Arch">A build arch, or <c>src</c> for the SRPMs.</param>
/// <param name="Url">Absolute base URL for dnf (<c>baseurl=</c>), from <c>Albs:PublicUrl</c>.</param>
/// <param name="PackageCount">Packages in it now: grows while the build runs.</param>
internal sealed record BuildRepositoryResponse(string Platform, string Arch, string Url, int PackageCount);

/// <summary>
/// A dnf repository per build, platform and arch of the packages its completed tasks stored
/// (<see cref="RepositoryContent"/> says which), generated on demand and again only when that set
/// changes. Concurrent requests for one repository wait for a single generation.
/// </summary>
internal sealed class BuildRepositories(
    IDbContextFactory<AlbsDbContext> contexts,
    DataDirectory data,
    RepositoryGenerator generator,
    IPlatformCatalog platforms,
    IOptions<AlbsOptions> options)
{
    private readonly KeyedLock locks = new();
    private readonly string publicUrl = options.Value.PublicUrl.TrimEnd('/');

    /// <summary>True for an absolute http or https URL, as <c>Albs:PublicUrl</c> must be.</summary>
    public static bool IsPublicUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);

    /// <summary>Where dnf finds the repository (it need not be generated yet).</summary>
    public string UrlOf(long buildId, string platform, string arch) =>
        $"{publicUrl}/repos/builds/{buildId.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(platform)}/{Uri.EscapeDataString(arch)}/";

    /// <summary>One repository per platform and arch (and <c>src</c>) the build has tasks for; null for an unknown build.</summary>
    public async Task<IReadOnlyList<BuildRepositoryResponse>?> ListAsync(long buildId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (!await db.Set<Build>().AnyAsync(b => b.Id == buildId, ct))
        {
            return null;
        }

        var keys = await db.Set<BuildTask>().AsNoTracking().Where(t => t.BuildId == buildId)
            .Select(t => new { t.Platform, t.Arch }).Distinct().ToListAsync(ct);
        var packages = await PackagesAsync(db, buildId, null, ct);
        return [.. keys
            .OrderBy(k => k.Platform, StringComparer.Ordinal).ThenBy(k => k.Arch == BuildPlanner.SrcArch).ThenBy(k => k.Arch, StringComparer.Ordinal)
            .Select(k => new BuildRepositoryResponse(k.Platform, k.Arch, UrlOf(buildId, k.Platform, k.Arch), RepositoryContent.Select(packages, k.Platform, k.Arch).Count))];
    }

    /// <summary>
    /// The repository with what the build has stored so far, generating it if that changed since
    /// the last generation; null when the build has no task for <paramref name="platform"/>/<paramref name="arch"/>.
    /// </summary>
    /// <returns>The directory of the current generation.</returns>
    public async Task<string?> EnsureAsync(long buildId, string platform, string arch, CancellationToken ct)
    {
        if (!RepositoryContent.IsPlatformName(platform) || !RepositoryContent.IsArchName(arch)
            || await SelectAsync(buildId, platform, arch, ct) is not { } packages)
        {
            return null;
        }

        var repository = new RepositoryDirectory(data, buildId, platform, arch);
        if (UpToDate(repository, RepositoryContent.Fingerprint(packages)) is { } current)
        {
            return current;
        }

        using (await locks.AcquireAsync(repository.Path, ct))
        {
            // Read again under the lock: a task that finished while we waited belongs in this
            // generation, and an older reading must never replace a newer generation.
            packages = await SelectAsync(buildId, platform, arch, ct) ?? [];
            var fingerprint = RepositoryContent.Fingerprint(packages);
            // Not cancelled with one caller's request: others may be waiting for this generation.
            return UpToDate(repository, fingerprint)
                ?? await generator.GenerateAsync(repository, packages, fingerprint, CancellationToken.None);
        }
    }

    /// <summary>
    /// The repository for serving a file, or null when the build has no such repository. It is
    /// brought up to date when <paramref name="refresh"/> (a client starting with <c>repomd.xml</c>)
    /// or never generated; other files come from what is published, so one client's reads stay consistent.
    /// </summary>
    public async Task<RepositoryDirectory?> OpenAsync(long buildId, string platform, string arch, bool refresh, CancellationToken ct)
    {
        if (!RepositoryContent.IsPlatformName(platform) || !RepositoryContent.IsArchName(arch))
        {
            return null;
        }

        var repository = new RepositoryDirectory(data, buildId, platform, arch);
        if (refresh || repository.Current() is null)
        {
            return await EnsureAsync(buildId, platform, arch, ct) is null ? null : repository;
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Set<BuildTask>().AnyAsync(t => t.BuildId == buildId && t.Platform == platform && t.Arch == arch, ct) ? repository : null;
    }

    /// <summary>
    /// The repositories of the builds <paramref name="buildId"/> links, for its tasks on
    /// <paramref name="platform"/>/<paramref name="arch"/> (an SRPM task gets those of the platform's
    /// noarch arch, since SRPMs are not installable). Each is generated before it is returned; a
    /// linked build without tasks there is left out. Empty for an unknown build.
    /// </summary>
    public async Task<IReadOnlyList<LinkedRepository>> LinkedRepositoriesAsync(long buildId, string platform, string arch, CancellationToken ct)
    {
        string? linkedJson;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            linkedJson = await db.Set<Build>().Where(b => b.Id == buildId).Select(b => b.LinkedBuilds).SingleOrDefaultAsync(ct);
        }

        return await LinkedRepositoriesAsync(linkedJson is null ? [] : JsonSerializer.Deserialize<long[]>(linkedJson) ?? [], platform, arch, ct);
    }

    /// <summary>
    /// As <see cref="LinkedRepositoriesAsync(long, string, string, CancellationToken)"/>, for a build whose
    /// linked builds the caller has read already (a task starting: no query when there are none).
    /// </summary>
    public async Task<IReadOnlyList<LinkedRepository>> LinkedRepositoriesAsync(IReadOnlyList<long> linked, string platform, string arch, CancellationToken ct)
    {
        if (linked.Count == 0)
        {
            return [];
        }

        if (arch == BuildPlanner.SrcArch)
        {
            if ((await platforms.FindAsync(platform, ct))?.NoarchArch is not { } noarchArch)
            {
                return [];
            }

            arch = noarchArch;
        }

        var repositories = new List<LinkedRepository>();
        foreach (var id in linked.Distinct())
        {
            if (await EnsureAsync(id, platform, arch, ct) is not null)
            {
                repositories.Add(new LinkedRepository($"albs-build-{id.ToString(CultureInfo.InvariantCulture)}", UrlOf(id, platform, arch)));
            }
        }

        return repositories;
    }

    private static string? UpToDate(RepositoryDirectory repository, string fingerprint) =>
        repository.Current() is { } current && RepositoryDirectory.FingerprintOf(current) == fingerprint ? current : null;

    /// <summary>The repository's packages now; null when the build has no task for the key.</summary>
    private async Task<IReadOnlyList<RepositoryPackage>?> SelectAsync(long buildId, string platform, string arch, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (!await db.Set<BuildTask>().AnyAsync(t => t.BuildId == buildId && t.Platform == platform && t.Arch == arch, ct))
        {
            return null;
        }

        return RepositoryContent.Select(await PackagesAsync(db, buildId, platform, ct), platform, arch);
    }

    /// <summary>RPMs and SRPMs of the build's completed tasks (artifacts exist only for those; the status check is a second guard).</summary>
    private static Task<List<StoredPackage>> PackagesAsync(AlbsDbContext db, long buildId, string? platform, CancellationToken ct) =>
        db.Set<BuildTask>().AsNoTracking()
            .Where(t => t.BuildId == buildId && t.Status == BuildStatus.Completed && (platform == null || t.Platform == platform))
            .SelectMany(t => t.Artifacts.Where(a => a.Type == "rpm" || a.Type == "srpm"), (t, a) => new StoredPackage(t.Id, t.Platform, t.Arch, a.Type, a.Name, a.Sha256))
            .ToListAsync(ct);
}
