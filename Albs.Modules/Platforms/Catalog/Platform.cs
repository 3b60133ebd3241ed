using System.Text.Json;
using Albs.Modules.Platforms.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Albs.Modules.Platforms.Catalog;

/// <summary>
/// A build platform. Lists and dictionaries are JSON text columns, identical on both providers;
/// they are plain strings here (EF would otherwise discover the element types as entities).
/// </summary>
internal sealed class Platform
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Lower-case name: unique, so names differing only in case cannot coexist.</summary>
    public required string NormalizedName { get; set; }

    public required string DistributionName { get; set; }

    public required string DistributionVersion { get; set; }

    /// <summary>JSON array of arch names.</summary>
    public string Arches { get; set; } = "[]";

    public required string NoarchArch { get; set; }

    public required string DistTag { get; set; }

    /// <summary>JSON object: macro name → value.</summary>
    public string RpmMacros { get; set; } = "{}";

    /// <summary>JSON array of <see cref="PlatformRepositoryDto"/>.</summary>
    public string Repositories { get; set; } = "[]";

    public string MockTemplate { get; set; } = "";

    public int TimeoutMinutes { get; set; }

    public bool IsActive { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    public void Apply(PlatformSpec spec, DateTime now)
    {
        Name = spec.Name;
        NormalizedName = PlatformRules.NormalizeName(spec.Name);
        DistributionName = spec.DistributionName;
        DistributionVersion = spec.DistributionVersion;
        Arches = JsonColumn.Serialize(spec.Arches);
        NoarchArch = spec.NoarchArch;
        DistTag = spec.DistTag;
        RpmMacros = JsonColumn.Serialize(spec.RpmMacros);
        Repositories = JsonColumn.Serialize(spec.Repositories);
        MockTemplate = spec.MockTemplate;
        TimeoutMinutes = spec.TimeoutMinutes;
        IsActive = spec.IsActive;
        UpdatedAt = now;
    }

    public static Platform Create(PlatformSpec spec, DateTime now)
    {
        var platform = new Platform
        {
            Name = spec.Name,
            NormalizedName = PlatformRules.NormalizeName(spec.Name),
            DistributionName = spec.DistributionName,
            DistributionVersion = spec.DistributionVersion,
            NoarchArch = spec.NoarchArch,
            DistTag = spec.DistTag,
            CreatedAt = now,
        };
        platform.Apply(spec, now);
        return platform;
    }

    public PlatformDto ToDto() => new(
        Name,
        DistributionName,
        DistributionVersion,
        JsonColumn.Deserialize<List<string>>(Arches),
        NoarchArch,
        DistTag,
        new SortedDictionary<string, string>(JsonColumn.Deserialize<Dictionary<string, string>>(RpmMacros), StringComparer.Ordinal),
        JsonColumn.Deserialize<List<PlatformRepositoryDto>>(Repositories),
        MockTemplate,
        TimeoutMinutes,
        IsActive,
        CreatedAt,
        UpdatedAt);
}

internal sealed class PlatformConfiguration : IEntityTypeConfiguration<Platform>
{
    public void Configure(EntityTypeBuilder<Platform> builder)
    {
        builder.ToTable("platforms_platforms");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(64);
        builder.Property(p => p.NormalizedName).HasMaxLength(64);
        builder.HasIndex(p => p.NormalizedName).IsUnique();
        builder.Property(p => p.DistributionName).HasMaxLength(64);
        builder.Property(p => p.DistributionVersion).HasMaxLength(32);
        builder.Property(p => p.NoarchArch).HasMaxLength(16);
        builder.Property(p => p.DistTag).HasMaxLength(40);
    }
}

/// <summary>The JSON text of the list and dictionary columns (camelCase, as the API writes them).</summary>
internal static class JsonColumn
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) where T : class, new() =>
        JsonSerializer.Deserialize<T>(json, Options) ?? new T();
}
