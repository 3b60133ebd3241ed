using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Common.Persistence;

/// <summary>Applies the hand-written migrations at start, on SQLite and PostgreSQL alike.</summary>
internal sealed class DatabaseMigrator(
    IDbContextFactory<AlbsDbContext> contexts,
    DatabaseConnection connection,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.MigrateOnStart)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        try
        {
            if (connection.Provider == DatabaseProvider.Sqlite)
            {
                // WAL lets readers (pages, log viewers) run while a dispatcher writes; it is persistent.
                await db.Database.OpenConnectionAsync(cancellationToken);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} migration(s) on {Provider}: {Migrations}", pending.Count, connection.Provider, string.Join(", ", pending));
                await db.Database.MigrateAsync(cancellationToken);
            }
        }
        finally
        {
            // The context goes back to the pool: left open, its connection would stay open for its
            // next user, whose transactions then never close it, and on SQLite the write gate would
            // be held past such a transaction's end (docs/adr/0015).
            await db.Database.CloseConnectionAsync();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
