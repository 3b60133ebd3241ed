using Albs.Modules.Common.Persistence;
using Albs.Modules.Platforms.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Platforms.Catalog;

/// <summary>Outcome of storing a platform.</summary>
internal enum StoreOutcome
{
    Stored,
    Duplicate,
}

/// <summary>
/// Reads and writes platforms, each operation in its own short-lived context, so it is usable from
/// anywhere (a singleton) and is the <see cref="IPlatformCatalog"/> other modules see.
/// </summary>
internal sealed class PlatformStore(IDbContextFactory<AlbsDbContext> contexts, TimeProvider clock) : IPlatformCatalog
{
    public async Task<PlatformDto?> FindAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var normalized = PlatformRules.NormalizeName(name);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var platform = await db.Set<Platform>().AsNoTracking().SingleOrDefaultAsync(p => p.NormalizedName == normalized, cancellationToken);
        return platform?.ToDto();
    }

    public async Task<IReadOnlyList<PlatformDto>> ListAsync(bool includeInactive, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var platforms = await db.Set<Platform>().AsNoTracking()
            .Where(p => includeInactive || p.IsActive)
            .OrderBy(p => p.NormalizedName)
            .ToListAsync(cancellationToken);
        return [.. platforms.Select(p => p.ToDto())];
    }

    /// <summary>Lower-case names of every stored platform.</summary>
    public async Task<HashSet<string>> NormalizedNamesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var names = await db.Set<Platform>().Select(p => p.NormalizedName).ToListAsync(cancellationToken);
        return [.. names];
    }

    /// <summary>
    /// Inserts a new platform. A name taken meanwhile by another request or host (the unique
    /// index fires) is reported as <see cref="StoreOutcome.Duplicate"/>, not thrown.
    /// </summary>
    public async Task<(StoreOutcome Outcome, PlatformDto? Platform)> CreateAsync(PlatformSpec spec, CancellationToken cancellationToken)
    {
        var normalized = PlatformRules.NormalizeName(spec.Name);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Set<Platform>().AnyAsync(p => p.NormalizedName == normalized, cancellationToken))
        {
            return (StoreOutcome.Duplicate, null);
        }

        var platform = Platform.Create(spec, clock.GetUtcNow().UtcDateTime);
        db.Add(platform);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost a race with another writer of the same name: the unique index decided.
            if (await ExistsAsync(normalized, cancellationToken))
            {
                return (StoreOutcome.Duplicate, null);
            }

            throw;
        }

        return (StoreOutcome.Stored, platform.ToDto());
    }

    private async Task<bool> ExistsAsync(string normalized, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<Platform>().AnyAsync(p => p.NormalizedName == normalized, cancellationToken);
    }
}
