using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Albs.Modules.Common.Jobs;

/// <summary>
/// Wakes this host's dispatchers when a transaction that added jobs commits — not before, or a
/// dispatcher could look, see nothing yet, and go back to sleep.
/// </summary>
internal sealed class JobWakeupInterceptor(JobSignal signal) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly ConditionalWeakTable<DbContext, HashSet<string>> pending = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        FlushIfCommitted(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        FlushIfCommitted(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Discard(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Discard(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Flush(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Flush(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Discard(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Discard(eventData.Context);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var queues = context.ChangeTracker.Entries<Job>()
            .Where(e => e.State == EntityState.Added || (e.State == EntityState.Modified && e.Entity.Status == JobStatus.Ready))
            .Select(e => e.Entity.Queue)
            .ToList();
        if (queues.Count == 0)
        {
            return;
        }

        lock (pending)
        {
            pending.GetOrCreateValue(context).UnionWith(queues);
        }
    }

    private void FlushIfCommitted(DbContext? context)
    {
        if (context?.Database.CurrentTransaction is null)
        {
            Flush(context);
        }
    }

    private void Flush(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        string[] queues;
        lock (pending)
        {
            if (!pending.TryGetValue(context, out var set))
            {
                return;
            }

            queues = [.. set];
            pending.Remove(context);
        }

        foreach (var queue in queues)
        {
            signal.Notify(queue);
        }
    }

    private void Discard(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        lock (pending)
        {
            pending.Remove(context);
        }
    }
}
