using System.ComponentModel.DataAnnotations;

namespace Albs.Modules.Common.Persistence;

/// <summary>Which database engine holds Albs's state.</summary>
public enum DatabaseProvider
{
    /// <summary>A single SQLite file under the data directory; one host dispatches.</summary>
    Sqlite,

    /// <summary>PostgreSQL; several hosts may share one database and dispatch together.</summary>
    Postgres,
}

/// <summary>The <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    [Required]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// Overrides the connection string; by default SQLite uses <c>albs.db</c> in the data directory
    /// and PostgreSQL reads <c>ConnectionStrings:Albs</c>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Apply pending migrations when the host starts.</summary>
    public bool MigrateOnStart { get; set; } = true;
}
