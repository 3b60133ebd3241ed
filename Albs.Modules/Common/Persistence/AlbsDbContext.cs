using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Common.Persistence;

/// <summary>
/// The one database context of Albs. Each module maps its own tables (prefixed with the module's
/// name) through <see cref="IEntityTypeConfiguration{TEntity}"/> classes inside its folder; this
/// context only collects them and applies the naming conventions shared by both providers.
/// </summary>
public sealed class AlbsDbContext(DbContextOptions<AlbsDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AlbsDbContext).Assembly);
        StoreConventions.Apply(modelBuilder);
    }
}
