using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Albs.Modules.Builds.Model;

/// <summary>
/// One unit of work on one agent: the SRPM of a source for a platform (arch "src"), or the
/// rebuild of that SRPM for one architecture. The table is the durable dispatch queue: status,
/// lease owner and expiry, attempt.
/// </summary>
internal sealed class BuildTask
{
    public long Id { get; set; }

    public long BuildId { get; set; }

    public long SourceId { get; set; }

    public required string Platform { get; set; }

    public required string Arch { get; set; }

    public string Status { get; set; } = BuildStatus.Idle;

    /// <summary>The SRPM task this arch task rebuilds from; null for the SRPM task itself.</summary>
    public long? SrpmTaskId { get; set; }

    /// <summary>With chained sources: the previous source's task on the same platform and arch.</summary>
    public long? AfterTaskId { get; set; }

    /// <summary>Fairness key: the submitter whose queue this task is in.</summary>
    public required string Submitter { get; set; }

    public int Priority { get; set; }

    public int Attempt { get; set; }

    public string? AgentName { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string? Error { get; set; }

    public List<BuildArtifact> Artifacts { get; } = [];
}

internal sealed class BuildTaskConfiguration : IEntityTypeConfiguration<BuildTask>
{
    public void Configure(EntityTypeBuilder<BuildTask> builder)
    {
        builder.ToTable("builds_tasks");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Platform).HasMaxLength(64);
        builder.Property(t => t.Arch).HasMaxLength(16);
        builder.Property(t => t.Status).HasMaxLength(16);
        builder.Property(t => t.Submitter).HasMaxLength(256);
        builder.Property(t => t.AgentName).HasMaxLength(64);
        builder.Property(t => t.LeaseOwner).HasMaxLength(200);
        builder.HasOne<BuildSource>().WithMany().HasForeignKey(t => t.SourceId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(t => new { t.Status, t.Arch });
        builder.HasIndex(t => new { t.Status, t.LeaseExpiresAt });
        builder.HasIndex(t => new { t.Status, t.CreatedAt });
        builder.HasIndex(t => t.SrpmTaskId);
        builder.HasIndex(t => t.AfterTaskId);
        builder.HasIndex(t => new { t.Platform, t.BuildId });
        builder.HasIndex(t => new { t.Arch, t.BuildId });
        builder.HasMany(t => t.Artifacts).WithOne().HasForeignKey(a => a.TaskId).OnDelete(DeleteBehavior.Cascade);
    }
}
