using Albs.Modules.Common.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Common.Jobs;

/// <summary>
/// The queue operations on <c>common_jobs</c>. Every state change is one conditional UPDATE so
/// concurrent dispatchers (threads or hosts) can never both own a job: a claim takes only rows
/// still ready, and renew/complete/fail act only while the caller still holds the lease.
/// </summary>
internal sealed class JobStore(IDbContextFactory<AlbsDbContext> contexts, TimeProvider clock)
{
    private const int MaxErrorLength = 8000;

    public async Task<IReadOnlyList<Job>> ClaimAsync(string queue, string owner, int count, TimeSpan lease, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = Now();
        var expires = now + lease;
        // PostgreSQL: SKIP LOCKED lets several hosts claim side by side without waiting on each
        // other's rows. SQLite has one writer at a time, so the plain UPDATE is already atomic.
        var skipLocked = db.Database.IsNpgsql() ? "FOR UPDATE SKIP LOCKED" : string.Empty;
        var sql = $$"""
            UPDATE common_jobs
               SET status = {0}, lease_owner = {1}, lease_expires_at = {2},
                   attempt = attempt + 1, started_at = {3}
             WHERE id IN (SELECT id FROM common_jobs
                           WHERE queue = {4} AND status = {5} AND not_before <= {3}
                           ORDER BY priority DESC, id
                           LIMIT {6} {{skipLocked}})
            RETURNING *
            """;
        var claimed = await db.Set<Job>()
            .FromSqlRaw(sql, JobStatus.Running, owner, expires, now, queue, JobStatus.Ready, count)
            .AsNoTracking()
            .ToListAsync(ct);
        return [.. claimed.OrderByDescending(j => j.Priority).ThenBy(j => j.Id)];
    }

    public async Task<bool> RenewAsync(long id, string owner, TimeSpan lease, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var expires = Now() + lease;
        var rows = await db.Database.ExecuteSqlAsync(
            $"UPDATE common_jobs SET lease_expires_at = {expires} WHERE id = {id} AND lease_owner = {owner} AND status = {JobStatus.Running}",
            ct);
        return rows == 1;
    }

    /// <summary>
    /// Marks the job succeeded and saves the handler's staged changes in one transaction; if the
    /// lease was lost meanwhile, nothing is saved and false is returned.
    /// </summary>
    public async Task<bool> CompleteAsync(AlbsDbContext db, long id, string owner, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = Now();
            var rows = await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE common_jobs SET status = {JobStatus.Succeeded}, finished_at = {now},
                       lease_owner = NULL, lease_expires_at = NULL, last_error = NULL
                 WHERE id = {id} AND lease_owner = {owner} AND status = {JobStatus.Running}
                """,
                ct);
            if (rows != 1)
            {
                await transaction.RollbackAsync(ct);
                return false;
            }

            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return true;
        });
    }

    /// <summary>
    /// Records a failed attempt: back to ready after <paramref name="retryDelay"/>, or dead when
    /// attempts are used up or <paramref name="retryDelay"/> is null.
    /// </summary>
    public async Task<bool> FailAsync(long id, string owner, string error, TimeSpan? retryDelay, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = Now();
        var notBefore = now + (retryDelay ?? TimeSpan.Zero);
        var retry = retryDelay is null ? 0 : 1;
        var message = error.Length > MaxErrorLength ? error[..MaxErrorLength] : error;
        var rows = await db.Database.ExecuteSqlAsync(
            $"""
            UPDATE common_jobs
               SET status = CASE WHEN {retry} = 1 AND attempt < max_attempts THEN {JobStatus.Ready} ELSE {JobStatus.Dead} END,
                   finished_at = CASE WHEN {retry} = 1 AND attempt < max_attempts THEN NULL ELSE {now} END,
                   not_before = {notBefore}, lease_owner = NULL, lease_expires_at = NULL, last_error = {message}
             WHERE id = {id} AND lease_owner = {owner} AND status = {JobStatus.Running}
            """,
            ct);
        return rows == 1;
    }

    /// <summary>Gives a job back untouched (host shutting down): the attempt does not count.</summary>
    public async Task ReleaseAsync(long id, string owner, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Database.ExecuteSqlAsync(
            $"""
            UPDATE common_jobs SET status = {JobStatus.Ready}, attempt = attempt - 1,
                   lease_owner = NULL, lease_expires_at = NULL
             WHERE id = {id} AND lease_owner = {owner} AND status = {JobStatus.Running}
            """,
            ct);
    }

    /// <summary>Re-queues jobs whose owner stopped renewing (crashed host); dead once attempts are used up.</summary>
    public async Task<int> ReapAsync(string queue, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = Now();
        return await db.Database.ExecuteSqlAsync(
            $"""
            UPDATE common_jobs
               SET status = CASE WHEN attempt < max_attempts THEN {JobStatus.Ready} ELSE {JobStatus.Dead} END,
                   finished_at = CASE WHEN attempt < max_attempts THEN NULL ELSE {now} END,
                   lease_owner = NULL, lease_expires_at = NULL, not_before = {now},
                   last_error = 'lease expired: the host running it stopped renewing'
             WHERE queue = {queue} AND status = {JobStatus.Running} AND lease_expires_at < {now}
            """,
            ct);
    }

    /// <summary>The next time something in the queue becomes due: a delayed job or a lease expiry.</summary>
    public async Task<DateTime?> NextDueAsync(string queue, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var jobs = db.Set<Job>().AsNoTracking().Where(j => j.Queue == queue);
        var nextReady = await jobs.Where(j => j.Status == JobStatus.Ready)
            .OrderBy(j => j.NotBefore).Select(j => (DateTime?)j.NotBefore).FirstOrDefaultAsync(ct);
        var nextExpiry = await jobs.Where(j => j.Status == JobStatus.Running)
            .OrderBy(j => j.LeaseExpiresAt).Select(j => j.LeaseExpiresAt).FirstOrDefaultAsync(ct);
        return (nextReady, nextExpiry) switch
        {
            (null, var e) => e,
            (var r, null) => r,
            (var r, var e) => r < e ? r : e,
        };
    }

    private DateTime Now() => clock.GetUtcNow().UtcDateTime;
}
