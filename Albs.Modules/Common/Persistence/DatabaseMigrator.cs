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
        if (connection.Provider == DatabaseProvider.Sqlite)
        {
            // WAL lets readers (pages, log viewers) run while a dispatcher writes; it is persistent.
            // The connection opened by hand is closed by hand: the pooled context would otherwise go
            // back counting that open, and EF would not close the connection at the end of a later
            // transaction of that context disposed without commit, holding the SQLite write gate
            // until its wait limit (docs/adr/0015).
            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }

        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} migration(s) on {Provider}: {Migrations}", pending.Count, connection.Provider, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
