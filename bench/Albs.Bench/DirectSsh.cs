using Albs.Modules.Common.Processes;
using Albs.Tests.Support;

namespace Albs.Bench;

/// <summary>
/// The baseline's way to an agent: the plain ssh client with the options Albs uses (no user or
/// system configuration, pinned host key, one key, a multiplexed master connection kept warm), so
/// a baseline command pays one ssh round trip, like each of Albs' own commands.
/// </summary>
internal sealed class DirectSsh : IAsyncDisposable
{
    private static readonly ProcessRunner Runner = new();
    private readonly SshAgentServer agent;
    private readonly string directory;

    public DirectSsh(SshAgentServer agent)
    {
        this.agent = agent;

        // Short: a control socket path must fit in a Unix socket address.
        directory = Directory.CreateTempSubdirectory("albs-bench-ssh-").FullName;
        File.WriteAllText(KnownHosts, agent.HostKeyLine + "\n");
    }

    private string KnownHosts => Path.Combine(directory, "known_hosts");

    /// <summary>Runs a remote command string; each output line goes to <paramref name="onLine"/> as it arrives.</summary>
    public async Task<ProcessResult> RunAsync(string remoteCommand, Func<ProcessOutputLine, ValueTask>? onLine = null, TimeSpan? timeout = null)
    {
        var spec = new ProcessSpec("ssh", [
            "-F", "/dev/null",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=" + KnownHosts,
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-i", agent.ClientPrivateKeyPath,
            "-o", "ControlMaster=auto",
            "-o", "ControlPath=" + Path.Combine(directory, "m"),
            "-o", "ControlPersist=60",
            "-o", "LogLevel=ERROR",
            "-T", "-p", agent.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{agent.User}@{agent.Host}", "--", remoteCommand,
        ])
        { Timeout = timeout ?? TimeSpan.FromMinutes(5), Environment = new Dictionary<string, string?> { ["SSH_AUTH_SOCK"] = null } };
        return await Runner.RunAsync(spec, onLine);
    }

    /// <summary>Runs a command and fails with its output unless it succeeds.</summary>
    public async Task RunCheckedAsync(string remoteCommand)
    {
        var output = new List<string>();
        var result = await RunAsync(remoteCommand, line =>
        {
            output.Add(line.Text);
            return ValueTask.CompletedTask;
        });
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"ssh command failed ({result.ExitCode}): {string.Join('\n', output.TakeLast(15))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Runner.RunAsync(new ProcessSpec("ssh", ["-F", "/dev/null", "-o", "ControlPath=" + Path.Combine(directory, "m"), "-O", "exit", "agent"]) { Timeout = TimeSpan.FromSeconds(10) });
        Directory.Delete(directory, recursive: true);
    }
}
