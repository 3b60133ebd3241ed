using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Albs.Modules.Builds.Model;

/// <summary>A file a task produced, stored content-addressed by its sha256.</summary>
internal sealed class BuildArtifact
{
    public long Id { get; set; }

    public long TaskId { get; set; }

    public required string Name { get; set; }

    /// <summary>"srpm", "rpm", "log" or "config".</summary>
    public required string Type { get; set; }

    public long Size { get; set; }

    public required string Sha256 { get; set; }

    /// <summary>For packages, read from the RPM header by the server.</summary>
    public string? Nevra { get; set; }

    public string? SourceRpm { get; set; }

    /// <summary>The package's name, epoch, version, release and arch, split from <see cref="Nevra"/> for the build list's NEVRA filter.</summary>
    public string? RpmName { get; set; }

    public int? RpmEpoch { get; set; }

    public string? RpmVersion { get; set; }

    public string? RpmRelease { get; set; }

    public string? RpmArch { get; set; }

    /// <summary>Fills the split NEVRA columns from <see cref="Nevra"/> (left empty when it has no NEVRA shape).</summary>
    public BuildArtifact WithSplitNevra()
    {
        if (Contracts.NevraPattern.SplitStored(Nevra) is { } parts)
        {
            (RpmName, RpmEpoch, RpmVersion, RpmRelease, RpmArch) = (parts.Name, parts.Epoch, parts.Version, parts.Release, parts.Arch);
        }

        return this;
    }

    public DateTime CreatedAt { get; set; }
}

internal sealed class BuildArtifactConfiguration : IEntityTypeConfiguration<BuildArtifact>
{
    public void Configure(EntityTypeBuilder<BuildArtifact> builder)
    {
        builder.ToTable("builds_artifacts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Name).HasMaxLength(255);
        builder.Property(a => a.Type).HasMaxLength(8);
        builder.Property(a => a.Sha256).HasMaxLength(64);
        builder.Property(a => a.Nevra).HasMaxLength(512);
        builder.Property(a => a.SourceRpm).HasMaxLength(512);
        builder.HasIndex(a => new { a.TaskId, a.Name }).IsUnique();
        builder.HasIndex(a => a.Sha256);
        builder.HasIndex(a => a.Nevra);
        builder.Property(a => a.RpmName).HasMaxLength(255);
        builder.Property(a => a.RpmVersion).HasMaxLength(255);
        builder.Property(a => a.RpmRelease).HasMaxLength(255);
        builder.Property(a => a.RpmArch).HasMaxLength(32);
        builder.HasIndex(a => new { a.RpmName, a.RpmVersion, a.RpmRelease });
    }
}
