using Npgsql;

namespace Albs.Tests.Support;

[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Created_databases_are_real_distinct_and_isolated()
    {
        var first = await fixture.Server.CreateDatabaseAsync();
        var second = await fixture.Server.CreateDatabaseAsync();

        var firstName = new NpgsqlConnectionStringBuilder(first).Database;
        var secondName = new NpgsqlConnectionStringBuilder(second).Database;
        firstName.Should().NotBeNullOrEmpty();
        secondName.Should().NotBeNullOrEmpty().And.NotBe(firstName);
        new NpgsqlConnectionStringBuilder(first).IncludeErrorDetail.Should().BeTrue();

        await using var one = new NpgsqlConnection(first);
        await using var two = new NpgsqlConnection(second);
        await one.OpenAsync();
        await two.OpenAsync();

        (await ScalarAsync<string>(one, "SELECT version()")).Should().Contain("PostgreSQL");
        (await ScalarAsync<string>(two, "SELECT version()")).Should().Contain("PostgreSQL");
        (await ScalarAsync<string>(one, "SELECT current_database()")).Should().Be(firstName);
        (await ScalarAsync<string>(two, "SELECT current_database()")).Should().Be(secondName);

        await ExecuteAsync(one, "CREATE TABLE only_in_first (id integer PRIMARY KEY, label text NOT NULL)");
        await ExecuteAsync(one, "INSERT INTO only_in_first VALUES (1, 'one')");

        (await ScalarAsync<long>(one, "SELECT count(*) FROM only_in_first")).Should().Be(1);
        (await ScalarAsync<bool>(one, "SELECT to_regclass('public.only_in_first') IS NOT NULL")).Should().BeTrue();
        (await ScalarAsync<bool>(two, "SELECT to_regclass('public.only_in_first') IS NULL")).Should().BeTrue();

        var readFromSecond = () => ScalarAsync<long>(two, "SELECT count(*) FROM only_in_first");
        (await readFromSecond.Should().ThrowAsync<PostgresException>())
            .Which.SqlState.Should().Be(PostgresErrorCodes.UndefinedTable);
    }

    [Fact]
    public async Task A_database_can_be_created_with_a_given_name()
    {
        var name = "albs_named_" + Guid.NewGuid().ToString("N")[..16];

        var connectionString = await fixture.Server.CreateDatabaseAsync(name);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        (await ScalarAsync<string>(connection, "SELECT current_database()")).Should().Be(name);
    }

    [Fact]
    public async Task Own_server_listens_on_loopback_with_durability_off()
    {
        var admin = new NpgsqlConnectionStringBuilder(fixture.Server.AdminConnectionString);
        if (!fixture.Server.IsExternal)
        {
            admin.Host.Should().Be("127.0.0.1");
            admin.Username.Should().Be("postgres");
            admin.Database.Should().Be("postgres");
        }

        await using var connection = new NpgsqlConnection(fixture.Server.AdminConnectionString);
        await connection.OpenAsync();
        (await ScalarAsync<string>(connection, "SELECT current_user")).Should().NotBeNullOrEmpty();
        if (!fixture.Server.IsExternal)
        {
            (await ScalarAsync<string>(connection, "SHOW fsync")).Should().Be("off");
            (await ScalarAsync<string>(connection, "SHOW max_connections")).Should().Be("200");
            (await ScalarAsync<string>(connection, "SHOW listen_addresses")).Should().Be("127.0.0.1");
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        value.Should().NotBeNull().And.BeAssignableTo<T>();
        return (T)value!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
