using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Albs.Modules.Builds.Model;

/// <summary>A build: one or more sources × platforms × architectures, submitted together.</summary>
internal sealed class Build
{
    public long Id { get; set; }

    public required string CreatedById { get; set; }

    public required string CreatedByName { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>The product the build belongs to (its team's roles govern it); null only for builds from before products.</summary>
    public long? ProductId { get; set; }

    public string? ProductName { get; set; }

    public DateTime? FinishedAt { get; set; }

    /// <summary>Follows the tasks: idle, running, completed, failed, cancelled (see <see cref="BuildStatus"/>).</summary>
    public string Status { get; set; } = BuildStatus.Idle;

    public bool IndependentTasks { get; set; }

    /// <summary>Higher runs first among the submitter's own work (fairness is between submitters).</summary>
    public int Priority { get; set; }

    /// <summary>JSON of <c>{"with":[],"without":[],"defines":{}}</c>.</summary>
    public string MockOptions { get; set; } = "{}";

    /// <summary>JSON array of build ids whose artifacts form an extra repository for this build.</summary>
    public string LinkedBuilds { get; set; } = "[]";

    public List<BuildSource> Sources { get; } = [];

    public List<BuildTask> Tasks { get; } = [];
}

/// <summary>Lower-case status words shared by builds and tasks, as the API shows them.</summary>
internal static class BuildStatus
{
    public const string Idle = "idle";
    public const string Started = "started";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Excluded = "excluded";
    public const string Cancelled = "cancelled";
}

internal sealed class BuildConfiguration : IEntityTypeConfiguration<Build>
{
    public void Configure(EntityTypeBuilder<Build> builder)
    {
        builder.ToTable("builds_builds");
        builder.HasKey(b => b.Id);
        builder.Property(b => b.CreatedById).HasMaxLength(64);
        builder.Property(b => b.CreatedByName).HasMaxLength(256);
        builder.Property(b => b.Status).HasMaxLength(16);
        builder.HasIndex(b => b.CreatedAt);
        builder.HasIndex(b => new { b.Status, b.CreatedAt });
        builder.HasIndex(b => new { b.CreatedByName, b.Id });
        builder.HasIndex(b => new { b.Status, b.Id });
        builder.HasIndex(b => new { b.ProductName, b.Id });
        builder.Property(b => b.ProductName).HasMaxLength(63);
        builder.HasIndex(b => new { b.ProductId, b.CreatedAt });
        builder.HasMany(b => b.Sources).WithOne().HasForeignKey(s => s.BuildId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(b => b.Tasks).WithOne().HasForeignKey(t => t.BuildId).OnDelete(DeleteBehavior.Cascade);
    }
}
