using System.Threading.Channels;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Builds.Submission;

/// <summary>
/// Writes submitted builds, each with its sources and tasks, all or nothing. Builds submitted at
/// the same moment go into one transaction (group commit, ADR 0019): while one transaction is
/// written the next submissions queue, and the next transaction takes all of them. A lone
/// submission is written at once, as before. What a transaction costs is mostly per transaction
/// (its start, its commit, the statements' round trips, and on SQLite its hold on the one write
/// lock, which the dispatcher's claims wait behind), so a hundred builds at once cost little more
/// than one.
/// </summary>
/// <remarks>
/// When a shared transaction fails, each of its builds is written alone, so one bad build fails only
/// its own submission. A submission whose request is cancelled before its turn is not written.
/// </remarks>
internal sealed class BuildWriter(IDbContextFactory<AlbsDbContext> contexts, BuildSignal signal, ILogger<BuildWriter> logger) : BackgroundService
{
    /// <summary>A transaction takes builds until it holds this many tasks (one build's tasks are never split).</summary>
    internal const int MaxTasksPerTransaction = 1000;

    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>();
    private long transactions;

    /// <summary>Transactions committed so far (for tests and diagnostics).</summary>
    internal long Transactions => Interlocked.Read(ref transactions);

    /// <summary>Submissions waiting for a transaction to take them (for tests and diagnostics).</summary>
    internal int Queued => queue.Reader.Count;

    /// <summary>
    /// Writes <paramref name="build"/> and returns it as written (with its sources and tasks, their
    /// ids and dependencies) once it is committed: the submission is answered from it, without
    /// reading it back.
    /// </summary>
    public async Task<Build> WriteAsync(NewBuild build, CancellationToken ct)
    {
        var pending = new Pending(build, ct);
        if (!queue.Writer.TryWrite(pending))
        {
            throw new OperationCanceledException("The server is stopping: the build was not written.");
        }

        return await pending.Written.Task.WaitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>();
        Pending? next = null;
        try
        {
            while (next is not null || await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                var tasks = 0;
                while (next is not null || queue.Reader.TryRead(out next))
                {
                    var item = next;
                    next = null;
                    if (item.Cancellation.IsCancellationRequested)
                    {
                        item.Written.TrySetCanceled(item.Cancellation);
                        continue;
                    }

                    if (batch.Count > 0 && tasks + item.Build.Plan.Count > MaxTasksPerTransaction)
                    {
                        next = item;
                        break;
                    }

                    batch.Add(item);
                    tasks += item.Build.Plan.Count;
                }

                if (batch.Count > 0)
                {
                    await WriteAsync(batch);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued was not written, and its submitters are told so.
        }

        queue.Writer.TryComplete();
        next?.Written.TrySetException(new OperationCanceledException("The server stopped before the build was written."));
        while (queue.Reader.TryRead(out var item))
        {
            item.Written.TrySetException(new OperationCanceledException("The server stopped before the build was written."));
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        try
        {
            Complete(batch, await WriteTogetherAsync(batch));
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            logger.LogWarning(ex, "Writing {Count} submitted builds in one transaction failed; each is written alone.", batch.Count);
            foreach (var item in batch)
            {
                try
                {
                    Complete([item], await WriteTogetherAsync([item]));
                }
                catch (Exception alone)
                {
                    item.Written.TrySetException(alone);
                }
            }
        }
        catch (Exception ex)
        {
            batch[0].Written.TrySetException(ex);
        }
    }

    private void Complete(List<Pending> items, List<Build> builds)
    {
        // The dispatcher first: it looks for ready tasks while the submitters are answered.
        signal.Notify();
        for (var i = 0; i < items.Count; i++)
        {
            items[i].Written.TrySetResult(builds[i]);
        }
    }

    /// <summary>
    /// One transaction for all of <paramref name="items"/>: the builds with their sources, then their
    /// tasks (which need the builds' and sources' ids), then the tasks' dependencies on each other
    /// (which need the tasks' ids).
    /// </summary>
    private async Task<List<Build>> WriteTogetherAsync(IReadOnlyList<Pending> items)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            var made = items.Select(i => i.Build.Materialize()).ToList();
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            try
            {
                db.AddRange(made.Select(m => m.Build));
                await db.SaveChangesAsync(CancellationToken.None);
                foreach (var (build, tasks) in made)
                {
                    foreach (var (planned, task) in tasks)
                    {
                        task.BuildId = build.Id;
                        task.SourceId = build.Sources[planned.SourceIndex].Id;
                        db.Add(task);
                    }
                }

                await db.SaveChangesAsync(CancellationToken.None);
                foreach (var (_, tasks) in made)
                {
                    foreach (var (planned, task) in tasks)
                    {
                        task.SrpmTaskId = planned.SourceTask is { } srpm ? tasks[srpm].Id : null;
                        task.AfterTaskId = planned.After is { } after ? tasks[after].Id : null;
                    }
                }

                await db.SaveChangesAsync(CancellationToken.None);
                await transaction.CommitAsync(CancellationToken.None);
            }
            catch
            {
                // Rolled back here rather than left to the transaction's disposal, which releases the
                // SQLite write gate only when the connection closes.
                try
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                }
                catch (Exception rollback) when (rollback is InvalidOperationException or System.Data.Common.DbException)
                {
                    logger.LogDebug(rollback, "Rolling back a failed write of submitted builds failed too.");
                }

                throw;
            }

            Interlocked.Increment(ref transactions);
            logger.LogDebug("{Count} submitted builds written in one transaction.", made.Count);
            return made.Select(m => m.Build).ToList();
        });
    }

    private sealed class Pending(NewBuild build, CancellationToken cancellation)
    {
        public NewBuild Build { get; } = build;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<Build> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
