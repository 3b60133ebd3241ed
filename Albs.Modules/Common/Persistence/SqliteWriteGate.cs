using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Common.Persistence;

/// <summary>
/// Lets this process's writers to its SQLite database wait for their turn on an async lock instead of
/// inside SQLite's busy handler, which sleeps on a thread-pool thread (docs/adr/0015). A transaction
/// holds the gate from its start to its commit or rollback (or, if it is disposed without either, until
/// its connection closes); a write command outside a transaction holds it while it runs. Reads
/// (<c>SELECT</c>, <c>PRAGMA</c>) never take it: in WAL mode they do not wait for writers.
/// </summary>
/// <remarks>
/// The gate is per connection: a command or savepoint of a connection that already holds it never waits
/// again. Only writers of this process queue here; other processes (and other service providers) still
/// meet SQLite's busy timeout, which stays in force behind the gate. A writer that waited
/// <c>waitLimit</c> (the busy timeout) goes on without the gate and meets SQLite's own lock, so a
/// mistake such as a write through a second context inside a transaction fails as before instead of
/// hanging.
/// </remarks>
internal sealed class SqliteWriteGate(TimeSpan waitLimit, ILogger<SqliteWriteGate> logger)
    : DbCommandInterceptor, IDbTransactionInterceptor, IDbConnectionInterceptor, IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);

    // The connections holding the gate, and whether for a transaction or for one command.
    private readonly ConcurrentDictionary<DbConnection, Hold> holders = new(ReferenceEqualityComparer.Instance);

    private enum Hold
    {
        Transaction,
        Command,
    }

    /// <summary>Whether some connection of this process holds the gate (for tests).</summary>
    internal bool IsHeld => gate.CurrentCount == 0;

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        if (holders.ContainsKey(connection) || Acquire())
        {
            holders[connection] = Hold.Transaction;
        }

        return result;
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        if (holders.ContainsKey(connection) || await AcquireAsync(cancellationToken))
        {
            holders[connection] = Hold.Transaction;
        }

        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Release(eventData.Context?.Database.GetDbConnection());

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.Context?.Database.GetDbConnection());
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Release(eventData.Context?.Database.GetDbConnection());

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.Context?.Database.GetDbConnection());
        return Task.CompletedTask;
    }

    // A failed commit or rollback leaves the transaction to its disposal, which closes the connection.
    public void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) => Release(connection);

    public Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        Release(connection);
        return Task.CompletedTask;
    }

    public void ConnectionDisposed(DbConnection connection, ConnectionEndEventData eventData) => Release(connection);

    public Task ConnectionDisposedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        Release(connection);
        return Task.CompletedTask;
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        BeforeCommand(command);
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await BeforeCommandAsync(command, cancellationToken);
        return result;
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        AfterCommand(command);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        AfterCommand(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        BeforeCommand(command);
        return result;
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await BeforeCommandAsync(command, cancellationToken);
        return result;
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        AfterCommand(command);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        AfterCommand(command);
        return ValueTask.FromResult(result);
    }

    // A reader's statement (UPDATE … RETURNING) holds SQLite's lock until the reader is done with it.
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        BeforeCommand(command);
        return result;
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await BeforeCommandAsync(command, cancellationToken);
        return result;
    }

    public override InterceptionResult DataReaderClosing(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        AfterCommand(command);
        return result;
    }

    public override ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        AfterCommand(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        AfterCommand(command);
        return result;
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => AfterCommand(command);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterCommand(command);
        return Task.CompletedTask;
    }

    public override void CommandCanceled(DbCommand command, CommandEndEventData eventData) => AfterCommand(command);

    public override Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterCommand(command);
        return Task.CompletedTask;
    }

    /// <summary>Whether <paramref name="sql"/> may write: anything but a statement starting with SELECT or PRAGMA.</summary>
    internal static bool MayWrite(string sql)
    {
        var text = sql.AsSpan();
        while (true)
        {
            text = text.TrimStart();
            if (text.StartsWith("--"))
            {
                var end = text.IndexOf('\n');
                text = end < 0 ? [] : text[(end + 1)..];
            }
            else if (text.StartsWith("/*"))
            {
                var end = text.IndexOf("*/");
                text = end < 0 ? [] : text[(end + 2)..];
            }
            else
            {
                break;
            }
        }

        return !(text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase));
    }

    private void BeforeCommand(DbCommand command)
    {
        if (NeedsGate(command) && Acquire())
        {
            holders[command.Connection!] = Hold.Command;
        }
    }

    private async ValueTask BeforeCommandAsync(DbCommand command, CancellationToken cancellationToken)
    {
        if (NeedsGate(command) && await AcquireAsync(cancellationToken))
        {
            holders[command.Connection!] = Hold.Command;
        }
    }

    private bool NeedsGate(DbCommand command)
    {
        if (command.Connection is not { } connection)
        {
            return false;
        }

        if (holders.TryGetValue(connection, out var hold))
        {
            if (hold == Hold.Command || command.Transaction is not null)
            {
                return false;
            }

            // The transaction ended without commit or rollback (disposed) on a connection left open.
            Release(connection);
        }

        return command.Transaction is null && MayWrite(command.CommandText);
    }

    private void AfterCommand(DbCommand command)
    {
        if (command.Connection is { } connection && holders.TryRemove(new KeyValuePair<DbConnection, Hold>(connection, Hold.Command)))
        {
            gate.Release();
        }
    }

    private void Release(DbConnection? connection)
    {
        if (connection is not null && holders.TryRemove(connection, out _))
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();

    private bool Acquire() => gate.Wait(waitLimit) || WaitedTooLong();

    private async ValueTask<bool> AcquireAsync(CancellationToken cancellationToken) =>
        await gate.WaitAsync(waitLimit, cancellationToken) || WaitedTooLong();

    private bool WaitedTooLong()
    {
        logger.LogWarning("A SQLite writer waited {Seconds:0} s for this process's write gate; it goes on without it, behind SQLite's busy timeout", waitLimit.TotalSeconds);
        return false;
    }
}
