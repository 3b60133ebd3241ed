using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Albs.Modules.Builds.Model;

/// <summary>
/// One source of a build, in submission order: a git URL with the ref the submitter gave and the
/// commit it resolved to at submission (the build uses that commit, whatever the branch does later),
/// or an SRPM URL.
/// </summary>
internal sealed class BuildSource
{
    public long Id { get; set; }

    public long BuildId { get; set; }

    /// <summary>0-based place in the submission; chained builds run sources in this order.</summary>
    public int Position { get; set; }

    /// <summary>"git" or "srpm".</summary>
    public required string Kind { get; set; }

    public required string Url { get; set; }

    /// <summary>Package name: from the repository or SRPM file name at submission, from the SRPM header once built.</summary>
    public required string Package { get; set; }

    public string? Ref { get; set; }

    /// <summary>"branch", "tag" or "commit".</summary>
    public string? RefKind { get; set; }

    public string? CommitId { get; set; }
}

internal sealed class BuildSourceConfiguration : IEntityTypeConfiguration<BuildSource>
{
    public void Configure(EntityTypeBuilder<BuildSource> builder)
    {
        builder.ToTable("builds_sources");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Kind).HasMaxLength(8);
        builder.Property(s => s.Url).HasMaxLength(2048);
        builder.Property(s => s.Package).HasMaxLength(255);
        builder.HasIndex(s => new { s.Package, s.BuildId });
        builder.Property(s => s.Ref).HasMaxLength(255);
        builder.Property(s => s.RefKind).HasMaxLength(8);
        builder.Property(s => s.CommitId).HasMaxLength(64);
        builder.HasIndex(s => new { s.BuildId, s.Position }).IsUnique();
    }
}
