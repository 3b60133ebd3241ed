using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Albs.Modules.Common.Persistence;

/// <summary>
/// Per-connection SQLite settings, applied each time EF opens a connection (a pooled native
/// connection keeps them; setting them again costs one in-memory statement). SQLite's temporary
/// files (statement journals of multi-row writes in a transaction, sorts and materialised
/// subqueries) stay in memory: by default each was a file created and deleted in the system's
/// temporary directory, about one per build during a burst of builds.
/// </summary>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    private const string Settings = "PRAGMA temp_store = MEMORY;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        // In-process and immediate (no I/O): not worth an asynchronous round.
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Settings;
        command.ExecuteNonQuery();
    }
}
