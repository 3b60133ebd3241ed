using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Albs.Modules.Agents.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Albs.Modules.Agents.Registry;

/// <summary>A build agent reached over SSH. The private key is stored encrypted, or referenced by path.</summary>
internal sealed class Agent
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public required string Host { get; set; }

    public int Port { get; set; }

    /// <summary>The SSH login user (column <c>user_name</c>: <c>user</c> is reserved in PostgreSQL).</summary>
    public required string UserName { get; set; }

    /// <summary>The private key text, protected with Data Protection (purpose <c>Albs.Agents.SshKey</c>).</summary>
    public string? PrivateKeyProtected { get; set; }

    /// <summary>Or: a private key file on the Albs server.</summary>
    public string? PrivateKeyPath { get; set; }

    /// <summary>Pinned host keys, normalized to one <c>type base64</c> per line.</summary>
    public required string HostKey { get; set; }

    /// <summary>JSON array of architecture names.</summary>
    public required string Arches { get; set; }

    public int Slots { get; set; }

    public required string WorkDirectory { get; set; }

    public bool Enabled { get; set; }

    public bool Maintenance { get; set; }

    public required string State { get; set; }

    public DateTime? LastSeenAt { get; set; }

    public string? LastError { get; set; }

    /// <summary>One-minute load average from the last probe.</summary>
    public double? Load1 { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    public IReadOnlyList<string> ArchList => JsonSerializer.Deserialize<List<string>>(Arches) ?? [];

    public static string ArchesJson(IEnumerable<string> arches) => JsonSerializer.Serialize(arches.ToList());

    /// <summary>
    /// Identifies everything a connection depends on. A change (new host, key or pinned host key) gives
    /// new key/known_hosts files and a new control socket, so an old master connection is never reused,
    /// and lets late probe results about the old parameters be discarded.
    /// </summary>
    public string ConnectionId
    {
        get
        {
            var text = string.Join('\n', Name, Host, Port, UserName, HostKey, PrivateKeyProtected ?? "", PrivateKeyPath ?? "");
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        }
    }

    public AgentInfo ToInfo() =>
        new(Name, ArchList, Slots, Load1, State, Enabled, Maintenance, LastSeenAt, LastError, WorkDirectory);

    public AgentResponse ToResponse() =>
        new(Name, Host, Port, UserName, ArchList, Slots, Enabled, Maintenance, State, LastSeenAt, Load1, LastError,
            HostKeys.Fingerprints(HostKey), WorkDirectory, CreatedAt);
}

internal sealed class AgentConfiguration : IEntityTypeConfiguration<Agent>
{
    public void Configure(EntityTypeBuilder<Agent> builder)
    {
        builder.ToTable("agents_agents");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Name).HasMaxLength(63);
        builder.HasIndex(a => a.Name).IsUnique();
        builder.Property(a => a.Host).HasMaxLength(253);
        builder.Property(a => a.UserName).HasMaxLength(32);
        builder.Property(a => a.PrivateKeyPath).HasMaxLength(1024);
        builder.Property(a => a.Arches).HasMaxLength(200);
        builder.Property(a => a.WorkDirectory).HasMaxLength(1024);
        builder.Property(a => a.State).HasMaxLength(32);
        builder.Property(a => a.LastError).HasMaxLength(2000);
        builder.Ignore(a => a.ArchList);
        builder.Ignore(a => a.ConnectionId);
    }
}
