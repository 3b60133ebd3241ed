namespace Albs.Modules.Common.Jobs;

/// <summary>A request to run work later, durably. See <see cref="IJobQueue"/>.</summary>
/// <param name="Queue">A queue registered with <c>AddJobQueue</c>.</param>
/// <param name="Kind">Selects the handler registered with <c>AddJobHandler</c>.</param>
/// <param name="Payload">Opaque text (usually JSON) handed to the handler.</param>
public sealed record JobRequest(string Queue, string Kind, string Payload)
{
    /// <summary>Higher runs first within the queue.</summary>
    public int Priority { get; init; }

    /// <summary>Attempts before the job is marked dead.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Do not start before this time (UTC); null starts as soon as a slot is free.</summary>
    public DateTime? NotBefore { get; init; }
}

/// <summary>
/// Stages jobs in the current scope's <see cref="Persistence.AlbsDbContext"/>: they are written by
/// the caller's <c>SaveChanges</c>, in the same transaction as the state change that asked for
/// them, and dispatchers are woken once that transaction commits.
/// </summary>
public interface IJobQueue
{
    void Enqueue(JobRequest request);
}

/// <summary>What a handler knows about the job it runs.</summary>
public sealed record JobContext(long JobId, string Queue, string Kind, string Payload, int Attempt, int MaxAttempts);

/// <summary>
/// Runs one kind of job. Changes the handler stages in the scoped
/// <see cref="Persistence.AlbsDbContext"/> without saving are committed by the dispatcher in the
/// same transaction that marks the job succeeded, so a handler that only touches the database
/// takes effect exactly once. A handler with outside effects must be idempotent: a job whose lease
/// was lost (host crash) runs again.
/// </summary>
public interface IJobHandler
{
    Task HandleAsync(JobContext job, CancellationToken cancellationToken);
}

/// <summary>Settings of one queue.</summary>
public sealed class JobQueueOptions
{
    /// <summary>Jobs of this queue one host runs at once.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>How long a claim holds without renewal; renewed every third of it while running.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>First retry delay; doubled per attempt up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>The <c>Jobs</c> configuration section.</summary>
public sealed class JobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>False on hosts that only serve requests and never run background work.</summary>
    public bool DispatchEnabled { get; set; } = true;

    /// <summary>Names this host in lease owners; default: machine name, process id and a random suffix.</summary>
    public string? HostId { get; set; }

    /// <summary>
    /// Longest a dispatcher sleeps without a wake-up. Dispatch is driven by commit signals and
    /// PostgreSQL notifications and by exact deadlines (retry times, lease expiries); this is only
    /// a safety net against a lost notification, not the dispatch path.
    /// </summary>
    public TimeSpan SafetyWake { get; set; } = TimeSpan.FromMinutes(5);
}
