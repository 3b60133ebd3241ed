using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Albs.Tests.Support;

/// <summary>
/// A database's schema as sorted text lines (tables, columns with type/nullability/identity,
/// indexes, keys, foreign keys), read from the engine's own catalog, so two databases can be compared.
/// </summary>
internal static class SchemaSnapshot
{
    private static readonly string[] IgnoredTables = ["__EFMigrationsHistory", "__EFMigrationsLock"];

    public static async Task<IReadOnlyList<string>> ReadSqliteAsync(string connectionString)
    {
        var lines = new List<string>();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        var tables = await QueryAsync(connection, "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", r => (Name: r.GetString(0), Sql: r.GetString(1)));
        foreach (var (table, sql) in tables.Where(t => !IgnoredTables.Contains(t.Name)))
        {
            lines.Add($"table {table} autoincrement={sql.Contains("AUTOINCREMENT", StringComparison.OrdinalIgnoreCase)}");
            lines.AddRange(await QueryAsync(connection, $"SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}')",
                r => $"column {table}.{r.GetString(0)} {r.GetString(1)} notnull={r.GetInt64(2)} default={(r.IsDBNull(3) ? "-" : r.GetString(3))} pk={r.GetInt64(4)}"));
            var indexes = await QueryAsync(connection, $"SELECT name, \"unique\", origin FROM pragma_index_list('{table}')",
                r => (Name: r.GetString(0), Unique: r.GetInt64(1), Origin: r.GetString(2)));
            foreach (var index in indexes)
            {
                var columns = await QueryAsync(connection, $"SELECT name FROM pragma_index_info('{index.Name}') ORDER BY seqno", r => r.GetString(0));
                // Automatic indexes behind PRIMARY KEY/UNIQUE constraints carry generated names.
                var name = index.Origin == "c" ? index.Name : $"({index.Origin})";
                lines.Add($"index {table}.{name} unique={index.Unique} columns={string.Join(",", columns)}");
            }

            lines.AddRange(await QueryAsync(connection, $"SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{table}')",
                r => $"fk {table}.{r.GetString(1)} -> {r.GetString(0)}.{r.GetString(2)} on delete {r.GetString(3)}"));
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    public static async Task<IReadOnlyList<string>> ReadPostgresAsync(string connectionString)
    {
        var lines = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var ignored = string.Join(",", IgnoredTables.Select(t => $"'{t}'"));
        lines.AddRange(await QueryAsync(connection,
            $"SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT IN ({ignored})",
            r => $"table {r.GetString(0)}"));
        lines.AddRange(await QueryAsync(connection,
            $"""
            SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default, is_identity, identity_generation
              FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT IN ({ignored})
            """,
            r => $"column {r.GetString(0)}.{r.GetString(1)} {r.GetString(2)}({(r.IsDBNull(3) ? "-" : r.GetInt32(3))}) nullable={r.GetString(4)} default={(r.IsDBNull(5) ? "-" : r.GetString(5))} identity={r.GetString(6)}/{(r.IsDBNull(7) ? "-" : r.GetString(7))}"));
        lines.AddRange(await QueryAsync(connection,
            $"SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT IN ({ignored})",
            r => $"index {r.GetString(0)}.{r.GetString(1)} {r.GetString(2)}"));
        lines.AddRange(await QueryAsync(connection,
            $"""
            SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
              FROM pg_constraint c
              JOIN pg_class t ON t.oid = c.conrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = 'public' AND c.contype IN ('p', 'f', 'u', 'c') AND t.relname NOT IN ({ignored})
            """,
            r => $"constraint {r.GetString(0)}.{r.GetString(1)} {r.GetString(2)}"));
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Names of user triggers, which live outside the EF model (e.g. the job notify trigger).</summary>
    public static async Task<IReadOnlyList<string>> ReadPostgresTriggersAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await QueryAsync(connection, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname", r => r.GetString(0));
    }

    private static async Task<List<T>> QueryAsync<T>(DbConnection connection, string sql, Func<DbDataReader, T> map)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}
