using Albs.Modules.Identity.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Albs.Modules.Identity.Teams;

/// <summary>People with roles, owning products.</summary>
internal sealed class Team
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Lower-case name: names are unique ignoring case.</summary>
    public required string NormalizedName { get; set; }

    public string? Description { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>One role of one user in one team (a member holds one row per role).</summary>
internal sealed class TeamMembership
{
    public long TeamId { get; set; }

    public required string UserId { get; set; }

    /// <summary>The lower-case role word (<see cref="Contracts.TeamRoles"/>).</summary>
    public required string Role { get; set; }

    public DateTime GrantedAt { get; set; }
}

/// <summary>What builds, keys, repositories and releases belong to; owned by one team.</summary>
internal sealed class Product
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public required string NormalizedName { get; set; }

    public required string Title { get; set; }

    public string? Description { get; set; }

    public long TeamId { get; set; }

    /// <summary>A community product (like a COPR project) rather than one of the distribution's own.</summary>
    public bool IsCommunity { get; set; }

    public DateTime CreatedAt { get; set; }
}

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> builder)
    {
        builder.ToTable("identity_teams");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Name).HasMaxLength(63);
        builder.Property(t => t.NormalizedName).HasMaxLength(63);
        builder.Property(t => t.Description).HasMaxLength(2000);
        builder.HasIndex(t => t.NormalizedName).IsUnique();
    }
}

internal sealed class TeamMembershipConfiguration : IEntityTypeConfiguration<TeamMembership>
{
    public void Configure(EntityTypeBuilder<TeamMembership> builder)
    {
        builder.ToTable("identity_team_members");
        builder.HasKey(m => new { m.TeamId, m.UserId, m.Role });
        builder.Property(m => m.UserId).HasMaxLength(64);
        builder.Property(m => m.Role).HasMaxLength(32);
        builder.HasIndex(m => m.UserId);
        builder.HasOne<Team>().WithMany().HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<AlbsUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ProductConfiguration : IEntityTypeConfiguration<Product>
{
    public void Configure(EntityTypeBuilder<Product> builder)
    {
        builder.ToTable("identity_products");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(63);
        builder.Property(p => p.NormalizedName).HasMaxLength(63);
        builder.Property(p => p.Title).HasMaxLength(200);
        builder.Property(p => p.Description).HasMaxLength(2000);
        builder.HasIndex(p => p.NormalizedName).IsUnique();
        builder.HasIndex(p => p.TeamId);
        builder.HasOne<Team>().WithMany().HasForeignKey(p => p.TeamId).OnDelete(DeleteBehavior.Restrict);
    }
}
