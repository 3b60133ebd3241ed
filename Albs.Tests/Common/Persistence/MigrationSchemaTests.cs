using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Albs.Tests.Common.Persistence;

/// <summary>
/// The hand-written migrations must produce exactly the schema EF Core derives from the model:
/// one database is migrated, a second is created from the model, and their catalogs are compared.
/// </summary>
public sealed class SqliteMigrationSchemaTests
{
    internal static void AssertSameSchema(IReadOnlyList<string> migrated, IReadOnlyList<string> fromModel)
    {
        migrated.Except(fromModel).Should().BeEmpty("the migrations should create nothing the model lacks");
        fromModel.Except(migrated).Should().BeEmpty("the migrations should create everything the model has");
        migrated.Should().Equal(fromModel);
    }

    [Fact]
    public async Task Migrated_sqlite_schema_matches_the_model()
    {
        using var migrated = TestDatabase.Sqlite();
        using var fromModel = TestDatabase.Sqlite();
        await using (var db = migrated.CreateContext())
        {
            await db.Database.MigrateAsync();
        }

        await using (var db = fromModel.CreateContext())
        {
            await db.Database.EnsureCreatedAsync();
        }

        var expected = await SchemaSnapshot.ReadSqliteAsync($"Data Source={Path.Combine(fromModel.DataDirectory, "albs.db")}");
        var actual = await SchemaSnapshot.ReadSqliteAsync($"Data Source={Path.Combine(migrated.DataDirectory, "albs.db")}");

        expected.Should().Contain(l => l.StartsWith("table common_jobs", StringComparison.Ordinal))
            .And.Contain(l => l.StartsWith("table identity_users", StringComparison.Ordinal));
        AssertSameSchema(actual, expected);
    }

    [Fact]
    public void Every_table_is_lower_case_and_prefixed_by_its_module()
    {
        using var database = TestDatabase.Sqlite();
        using var db = database.CreateContext();
        var modules = new[] { "common", "identity", "platforms", "agents", "builds", "testruns", "signing", "releases", "errata", "sbom" };
        foreach (var entity in db.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            modules.Should().Contain(table[..table.IndexOf('_', StringComparison.Ordinal)], $"table {table} must start with its module's name");
        }
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMigrationSchemaTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Migrated_postgres_schema_matches_the_model()
    {
        using var migrated = await TestDatabase.PostgresAsync(postgres.Server);
        using var fromModel = await TestDatabase.PostgresAsync(postgres.Server);
        await using (var db = migrated.CreateContext())
        {
            await db.Database.MigrateAsync();
        }

        await using (var db = fromModel.CreateContext())
        {
            await db.Database.EnsureCreatedAsync();
        }

        var expected = await SchemaSnapshot.ReadPostgresAsync(fromModel.Settings["ConnectionStrings:Albs"]!);
        var actual = await SchemaSnapshot.ReadPostgresAsync(migrated.Settings["ConnectionStrings:Albs"]!);

        expected.Should().Contain(l => l.StartsWith("table common_jobs", StringComparison.Ordinal));
        SqliteMigrationSchemaTests.AssertSameSchema(actual, expected);
        (await SchemaSnapshot.ReadPostgresTriggersAsync(migrated.Settings["ConnectionStrings:Albs"]!))
            .Should().Contain(["common_jobs_notify", "builds_tasks_notify", "agents_agents_notify"], "cross-host wake-ups depend on them");
    }

    [Fact]
    public async Task The_audit_log_is_append_only_on_postgres_too()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        await using var db = database.CreateContext();
        await db.Database.MigrateAsync();
        await db.Database.ExecuteSqlRawAsync(
            "INSERT INTO identity_audit_log (at, actor, action, object_type, object_id) VALUES (now(), 'admin', 'team.create', 'team', 'alpha')");

        foreach (var sql in new[] { "UPDATE identity_audit_log SET actor = 'nobody'", "DELETE FROM identity_audit_log", "TRUNCATE identity_audit_log" })
        {
            var change = () => db.Database.ExecuteSqlRawAsync(sql);
            (await change.Should().ThrowAsync<Npgsql.PostgresException>(sql)).Which.MessageText.Should().Be("identity_audit_log is append-only");
        }

        (await db.Database.SqlQueryRaw<string>("SELECT actor AS \"Value\" FROM identity_audit_log").ToListAsync()).Should().Equal("admin");
    }

    [Fact]
    public async Task Migrations_apply_once_and_are_recorded()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        await using var db = database.CreateContext();
        await db.Database.MigrateAsync();
        await db.Database.MigrateAsync();
        (await db.Database.GetAppliedMigrationsAsync()).Should().Equal(db.Database.GetMigrations());
        (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
    }
}
