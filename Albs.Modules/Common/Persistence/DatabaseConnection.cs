using Albs.Modules.Common.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Albs.Modules.Common.Persistence;

/// <summary>The provider and connection string in force, resolved once from configuration.</summary>
internal sealed record DatabaseConnection(DatabaseProvider Provider, string ConnectionString)
{
    public static DatabaseConnection Resolve(DatabaseOptions options, IConfiguration configuration, DataDirectory dataDirectory)
    {
        var configured = options.ConnectionString ?? configuration.GetConnectionString("Albs");
        if (options.Provider == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(configured))
            {
                throw new InvalidOperationException(
                    "Database:Provider is Postgres but no connection string is set: give ConnectionStrings:Albs (e.g. Host=127.0.0.1;Database=albs;Username=albs;Password=…).");
            }

            return new DatabaseConnection(DatabaseProvider.Postgres, configured);
        }

        var sqlite = new SqliteConnectionStringBuilder(configured ?? string.Empty);
        if (string.IsNullOrEmpty(sqlite.DataSource))
        {
            sqlite.DataSource = dataDirectory.Combine("albs.db");
        }

        // Writers queue behind each other instead of failing with "database is locked".
        sqlite.DefaultTimeout = Math.Max(sqlite.DefaultTimeout, 30);
        sqlite.Pooling = true;
        return new DatabaseConnection(DatabaseProvider.Sqlite, sqlite.ToString());
    }

    /// <summary>How long a SQLite writer waits for the database's lock (the connection's default timeout).</summary>
    public TimeSpan BusyTimeout => Provider == DatabaseProvider.Sqlite
        ? TimeSpan.FromSeconds(new SqliteConnectionStringBuilder(ConnectionString).DefaultTimeout)
        : TimeSpan.Zero;

    public void Configure(DbContextOptionsBuilder options)
    {
        _ = Provider switch
        {
            DatabaseProvider.Postgres => options.UseNpgsql(ConnectionString),
            _ => options.UseSqlite(ConnectionString),
        };
    }
}
