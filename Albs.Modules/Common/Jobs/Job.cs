using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Albs.Modules.Common.Jobs;

/// <summary>States of a queued job, stored as lower-case words.</summary>
internal static class JobStatus
{
    public const string Ready = "ready";
    public const string Running = "running";
    public const string Succeeded = "succeeded";

    /// <summary>Failed on its last allowed attempt; kept for inspection, never retried by itself.</summary>
    public const string Dead = "dead";
}

/// <summary>
/// One unit of durable background work. The row is the queue entry: a dispatcher claims it by
/// taking a lease (owner + expiry), renews the lease while working, and completes or fails it.
/// </summary>
internal sealed class Job
{
    public long Id { get; set; }

    public required string Queue { get; set; }

    public required string Kind { get; set; }

    public required string Payload { get; set; }

    public string Status { get; set; } = JobStatus.Ready;

    /// <summary>Higher runs first within a queue.</summary>
    public int Priority { get; set; }

    /// <summary>Attempts started so far (incremented on each claim).</summary>
    public int Attempt { get; set; }

    public int MaxAttempts { get; set; }

    /// <summary>The job is not claimed before this time (initial delay or retry back-off).</summary>
    public DateTime NotBefore { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string? LastError { get; set; }
}

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> builder)
    {
        builder.ToTable("common_jobs");
        builder.HasKey(j => j.Id);
        builder.Property(j => j.Queue).HasMaxLength(64);
        builder.Property(j => j.Kind).HasMaxLength(200);
        builder.Property(j => j.Status).HasMaxLength(16);
        builder.Property(j => j.LeaseOwner).HasMaxLength(200);
        builder.HasIndex(j => new { j.Queue, j.Status, j.NotBefore });
        builder.HasIndex(j => new { j.Status, j.LeaseExpiresAt });
    }
}
