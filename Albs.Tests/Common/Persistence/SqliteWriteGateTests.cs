using Albs.Modules.Common.Jobs;
using Albs.Modules.Common.Persistence;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Albs.Tests.Common.Persistence;

/// <summary>
/// This process's SQLite writers queue on the write gate, not in SQLite's busy handler. The contexts
/// here give SQLite a busy timeout of 1 s, so a writer that was not gated would fail with "database is
/// locked" whenever it waited longer than that.
/// </summary>
public sealed class SqliteWriteGateTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly TestDatabase database = TestDatabase.Sqlite();
    private readonly SqliteWriteGate gate = new(TimeSpan.FromSeconds(30), NullLogger<SqliteWriteGate>.Instance);

    public async Task InitializeAsync()
    {
        // The host migrates the database (and sets WAL); it is stopped so no background writer of its
        // own (with a gate of its own) runs beside the test's.
        await (await ModuleHost.StartAsync(database)).DisposeAsync();
        await using var db = Context();
        await db.Database.ExecuteSqlRawAsync("CREATE TABLE gate_rows (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL)");
        await db.Database.ExecuteSqlRawAsync("CREATE TABLE gate_counter (n INTEGER NOT NULL)");
        await db.Database.ExecuteSqlRawAsync("INSERT INTO gate_counter (n) VALUES (0)");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        gate.Dispose();
        database.Dispose();
    }

    [Fact]
    public async Task The_hosts_contexts_keep_sqlites_temporary_files_in_memory_on_every_connection_they_open()
    {
        await using var host = await ModuleHost.StartAsync(database);
        var contexts = host.Services.GetRequiredService<IDbContextFactory<AlbsDbContext>>();

        // Several contexts, so pooled contexts and pooled connections are reused: each says 2 (memory);
        // a plain connection of the same database keeps SQLite's default, 0.
        for (var i = 0; i < 3; i++)
        {
            await using var db = await contexts.CreateDbContextAsync();
            (await db.Database.SqlQueryRaw<long>("PRAGMA temp_store").ToListAsync()).Should().Equal(2);
        }

        await using var plain = Context();
        (await plain.Database.SqlQueryRaw<long>("PRAGMA temp_store").ToListAsync()).Should().Equal(0);
    }

    /// <summary>A context like the host's, with the test's gate and a busy timeout of 1 s.</summary>
    private AlbsDbContext Context()
    {
        var options = new DbContextOptionsBuilder<AlbsDbContext>()
            .UseSqlite($"Data Source={Path.Combine(database.DataDirectory, "albs.db")};Default Timeout=1", o => o.CommandTimeout(1))
            .AddInterceptors(gate)
            .ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.PendingModelChangesWarning));
        return new AlbsDbContext(options.Options);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var db = Context();
        return await db.Database.SqlQueryRaw<long>(sql).SingleAsync();
    }

    private async Task WriteInTransactionAsync(int writer, TimeSpan hold, CancellationToken ct = default)
    {
        await using var db = Context();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"INSERT INTO gate_rows (writer) VALUES ({writer})", ct);
        await Task.Delay(hold, ct);
        await db.Database.ExecuteSqlRawAsync("UPDATE gate_counter SET n = n + 1", ct);
        await transaction.CommitAsync(ct);
    }

    [Fact]
    public async Task The_host_registers_its_gate_on_its_sqlite_contexts()
    {
        await using var host = await ModuleHost.StartAsync(database);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<AlbsDbContext>>().CreateDbContextAsync();
        db.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()!.Interceptors
            .Should().Contain(host.Services.GetRequiredService<SqliteWriteGate>());
    }

    [Fact]
    public async Task Fifty_concurrent_writers_all_commit_without_database_is_locked()
    {
        var writers = Enumerable.Range(0, 50).Select(i => Task.Run(() => WriteInTransactionAsync(i, TimeSpan.FromMilliseconds(40))));

        await Task.WhenAll(writers).WaitAsync(Patience);

        (await CountAsync("SELECT COUNT(*) AS \"Value\" FROM gate_rows")).Should().Be(50);
        (await CountAsync("SELECT n AS \"Value\" FROM gate_counter")).Should().Be(50);
        gate.IsHeld.Should().BeFalse();
    }

    [Fact]
    public async Task Readers_do_not_wait_for_a_writer()
    {
        await using var writer = Context();
        await using var transaction = await writer.Database.BeginTransactionAsync();
        await writer.Database.ExecuteSqlRawAsync("INSERT INTO gate_rows (writer) VALUES (1)");

        (await CountAsync("SELECT COUNT(*) AS \"Value\" FROM gate_rows").WaitAsync(TimeSpan.FromSeconds(5))).Should().Be(0);
        await transaction.CommitAsync();
    }

    [Fact]
    public async Task A_transaction_that_fails_before_its_commit_releases_the_gate()
    {
        await using var failed = Context();
        var act = async () =>
        {
            await using var transaction = await failed.Database.BeginTransactionAsync();
            await failed.Database.ExecuteSqlRawAsync("INSERT INTO gate_rows (writer) VALUES (1)");
            throw new InvalidOperationException("the handler failed");
        };
        await act.Should().ThrowAsync<InvalidOperationException>();

        gate.IsHeld.Should().BeFalse("the failed context is still alive, but its transaction was disposed");
        await WriteInTransactionAsync(2, TimeSpan.Zero).WaitAsync(Patience);
        (await CountAsync("SELECT COUNT(*) AS \"Value\" FROM gate_rows")).Should().Be(1);
    }

    [Fact]
    public async Task A_transaction_disposed_on_a_connection_opened_by_hand_releases_the_gate_at_the_latest_when_the_context_goes()
    {
        var next = Task.CompletedTask;
        await using (var failed = Context())
        {
            await failed.Database.OpenConnectionAsync();
            await using (await failed.Database.BeginTransactionAsync())
            {
                await failed.Database.ExecuteSqlRawAsync("INSERT INTO gate_rows (writer) VALUES (1)");
            }

            next = WriteInTransactionAsync(2, TimeSpan.Zero);
        }

        await next.WaitAsync(Patience);
        gate.IsHeld.Should().BeFalse();
    }

    [Fact]
    public async Task A_writer_cancelled_while_waiting_or_inside_its_transaction_leaves_the_gate_free()
    {
        await using (var holder = Context())
        {
            await using var transaction = await holder.Database.BeginTransactionAsync();
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await ((Func<Task>)(() => WriteInTransactionAsync(1, TimeSpan.Zero, cancel.Token))).Should().ThrowAsync<OperationCanceledException>();
            await transaction.CommitAsync();
        }

        gate.IsHeld.Should().BeFalse();
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await ((Func<Task>)(() => WriteInTransactionAsync(2, TimeSpan.FromSeconds(10), cancel.Token))).Should().ThrowAsync<OperationCanceledException>();
        }

        gate.IsHeld.Should().BeFalse();
        await WriteInTransactionAsync(3, TimeSpan.Zero).WaitAsync(Patience);
        (await CountAsync("SELECT COUNT(*) AS \"Value\" FROM gate_rows WHERE writer = 3")).Should().Be(1);
    }

    [Fact]
    public async Task Autocommit_writes_outside_a_transaction_wait_for_the_gate()
    {
        await using var holder = Context();
        var transaction = await holder.Database.BeginTransactionAsync();
        await holder.Database.ExecuteSqlRawAsync("INSERT INTO gate_rows (writer) VALUES (1)");

        await using var other = Context();
        var sql = other.Database.ExecuteSqlRawAsync("UPDATE gate_counter SET n = n + 1");
        await using var third = Context();
        var update = third.Set<Job>().Where(j => j.Queue == "gate-test").ExecuteUpdateAsync(s => s.SetProperty(j => j.Priority, 1));

        // Longer than SQLite's busy timeout of 1 s: a writer waiting inside SQLite would have failed by now.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        sql.IsCompleted.Should().BeFalse();
        update.IsCompleted.Should().BeFalse();

        await transaction.CommitAsync();
        await transaction.DisposeAsync();
        (await sql.WaitAsync(Patience)).Should().Be(1);
        (await update.WaitAsync(Patience)).Should().Be(0);
        gate.IsHeld.Should().BeFalse();
    }

    [Fact]
    public async Task Writes_inside_a_transaction_on_the_same_context_do_not_wait_for_their_own_gate()
    {
        await using var db = Context();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.Database.ExecuteSqlRawAsync("INSERT INTO gate_rows (writer) VALUES (1)");
            db.Add(new Job { Queue = "gate-test", Kind = "test", Payload = "{}" });
            await db.SaveChangesAsync();
            await db.Set<Job>().Where(j => j.Queue == "gate-test").ExecuteUpdateAsync(s => s.SetProperty(j => j.Priority, 5));
            await transaction.CommitAsync();
        }

        db.Add(new Job { Queue = "gate-test", Kind = "test", Payload = "{}" });
        db.Add(new Job { Queue = "gate-test", Kind = "test", Payload = "{}" });
        await db.SaveChangesAsync().WaitAsync(Patience);

        (await CountAsync("SELECT COUNT(*) AS \"Value\" FROM common_jobs WHERE queue = 'gate-test'")).Should().Be(3);
        gate.IsHeld.Should().BeFalse();
    }

    [Fact]
    public async Task The_host_pools_no_context_whose_connection_the_migrator_left_open()
    {
        // A pooled context whose connection was opened by hand and never closed goes back to the pool
        // counting that open: EF then does not close the connection when a later transaction of that
        // context is disposed without commit (an exception in the middle), and the gate stays held
        // until the wait limit. Failed before the migrator closed its connection.
        using var fresh = TestDatabase.Sqlite();
        await using var host = await ModuleHost.StartAsync(fresh);
        await host.Host.StopAsync();
        var factory = host.Services.GetRequiredService<IDbContextFactory<AlbsDbContext>>();
        var hostGate = host.Services.GetRequiredService<SqliteWriteGate>();
        var contexts = new List<AlbsDbContext>();
        try
        {
            for (var i = 0; i < 16; i++)
            {
                contexts.Add(await factory.CreateDbContextAsync());
            }

            foreach (var db in contexts)
            {
                await using (await db.Database.BeginTransactionAsync())
                {
                    await db.Database.ExecuteSqlRawAsync("UPDATE common_jobs SET priority = priority WHERE 0 = 1");
                }

                hostGate.IsHeld.Should().BeFalse("the disposed transaction's connection was closed");
            }
        }
        finally
        {
            foreach (var db in contexts)
            {
                await db.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("SELECT 1", false)]
    [InlineData("  -- tag\n/* comment */ select * FROM t", false)]
    [InlineData("PRAGMA journal_mode", false)]
    [InlineData("INSERT INTO t VALUES (1)", true)]
    [InlineData("UPDATE t SET x = 1 RETURNING *", true)]
    [InlineData("WITH c AS (SELECT 1) DELETE FROM t", true)]
    [InlineData("-- only a comment", true)]
    public void Only_statements_that_may_write_take_the_gate(string sql, bool mayWrite) =>
        SqliteWriteGate.MayWrite(sql).Should().Be(mayWrite);
}
