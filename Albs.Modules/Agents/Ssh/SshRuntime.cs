using System.Collections.Concurrent;
using System.Security.Cryptography;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Common.Storage;
using Microsoft.AspNetCore.DataProtection;

namespace Albs.Modules.Agents.Ssh;

/// <summary>What one ssh invocation needs, as files.</summary>
internal sealed record SshTarget(AgentConnection Agent, string KeyFile, string KnownHostsFile, string ControlSocket, string HostKeyAlias);

/// <summary>
/// The files ssh is driven with. Decrypted private keys go to <c>&lt;data&gt;/run/agents/&lt;agent&gt;/</c>
/// (directories 0700, files 0600, created with that mode — never readable by others, not in /tmp).
/// Control sockets, the per-agent known_hosts files and per-call ssh logs go to a private directory
/// <c>/tmp/albs-ssh-XXXXXX</c> (0700, made by mkdtemp) whose path is short enough for a Unix socket
/// (about 104 bytes with the suffix ssh appends while creating it).
/// </summary>
internal sealed class SshRuntime(DataDirectory data, IDataProtectionProvider protection) : IDisposable
{
    public const string ProtectorPurpose = "Albs.Agents.SshKey";
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    private readonly IDataProtector protector = protection.CreateProtector(ProtectorPurpose);
    private readonly Lazy<string> controlDirectory = new(CreateControlDirectory);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new();

    public string ControlDirectory => controlDirectory.Value;

    public bool HasControlDirectory => controlDirectory.IsValueCreated;

    public string Protect(string privateKey) => protector.Protect(PrivateKeys.Normalize(privateKey));

    /// <summary>The key directory of one agent under the data directory.</summary>
    public string KeyDirectory(string agentName) => data.Combine("run", "agents", agentName);

    /// <summary>Writes (once per connection id) the key and known_hosts files for <paramref name="agent"/>.</summary>
    public async Task<SshTarget> PrepareAsync(AgentConnection agent, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Agents are driven with OpenSSH on Linux.");
        }

        var target = Target(agent);
        var (knownHosts, keyFile) = (target.KnownHostsFile, target.KeyFile);
        var gate = locks.GetOrAdd(agent.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(knownHosts))
            {
                await WritePrivateFileAsync(knownHosts, HostKeys.KnownHosts(target.HostKeyAlias, agent.HostKey), cancellationToken);
            }

            if (agent.PrivateKeyProtected is { } protectedKey && !File.Exists(keyFile))
            {
                var directory = KeyDirectory(agent.Name);
                Directory.CreateDirectory(data.Combine("run"), PrivateDirectory);
                Directory.CreateDirectory(data.Combine("run", "agents"), PrivateDirectory);
                Directory.CreateDirectory(directory, PrivateDirectory);
                foreach (var stale in Directory.EnumerateFiles(directory, "*.key"))
                {
                    File.Delete(stale);
                }

                await WritePrivateFileAsync(keyFile, Unprotect(agent.Name, protectedKey), cancellationToken);
            }
        }
        finally
        {
            gate.Release();
        }

        return target;
    }

    private string Unprotect(string agentName, string protectedKey)
    {
        try
        {
            return protector.Unprotect(protectedKey);
        }
        catch (CryptographicException ex)
        {
            throw new AgentUnreachableException(
                agentName,
                $"The stored private key of agent '{agentName}' cannot be decrypted (was the Data Protection key ring lost?); set it again with PUT /api/v1/agents/{agentName}.",
                ex);
        }
    }

    /// <summary>The file names for <paramref name="agent"/>, without creating anything.</summary>
    public SshTarget Target(AgentConnection agent) => new(
        agent,
        agent.PrivateKeyPath ?? Path.Combine(KeyDirectory(agent.Name), agent.ConnectionId + ".key"),
        Path.Combine(ControlDirectory, agent.ConnectionId + ".known_hosts"),
        Path.Combine(ControlDirectory, agent.ConnectionId),
        "albs-agent-" + agent.Name);

    /// <summary>A fresh file name for one invocation's ssh log (<c>-E</c>), kept apart from the remote command's stderr.</summary>
    public string NewLogFile() => Path.Combine(ControlDirectory, Guid.NewGuid().ToString("N") + ".log");

    /// <summary>Removes the decrypted key of a deleted agent.</summary>
    public void Forget(string agentName)
    {
        var directory = KeyDirectory(agentName);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public void Dispose()
    {
        foreach (var gate in locks.Values)
        {
            gate.Dispose();
        }

        if (controlDirectory.IsValueCreated)
        {
            try
            {
                Directory.Delete(controlDirectory.Value, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: an idle master may still be closing its socket.
            }
        }
    }

    private static async Task WritePrivateFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Agents are driven with OpenSSH on Linux.");
        }

        // Written under a temporary name created 0600, then renamed: never visible half-written or too open.
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = Private };
        await using (var stream = new FileStream(temporary, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(content.AsMemory(), cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static string CreateControlDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Agents are driven with OpenSSH on Linux.");
        }

        if (Path.GetTempPath().Length <= 40)
        {
            // mkdtemp: a new, unpredictable directory with mode 0700.
            return Directory.CreateTempSubdirectory("albs-ssh-").FullName;
        }

        // TMPDIR is too long for socket paths: an unpredictable name in /tmp, created 0700.
        var path = Path.Combine("/tmp", "albs-ssh-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        if (Directory.Exists(path))
        {
            throw new IOException($"{path} exists already.");
        }

        Directory.CreateDirectory(path, PrivateDirectory);
        return path;
    }
}
