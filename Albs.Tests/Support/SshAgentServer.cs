using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Support;

/// <summary>
/// A real OpenSSH server on 127.0.0.1 for the current user, playing one build agent in tests.
/// </summary>
/// <remarks>
/// Everything lives in a fresh temporary directory: a generated ed25519 host key, a generated client
/// key whose public half is the only authorized key, the configuration (public keys only, no PAM,
/// <c>StrictModes no</c>, root allowed with keys), the pid file and a <see cref="WorkDirectory"/> for
/// the build, which sessions also get as <c>HOME</c> (so the test user's dotfiles stay out). sshd runs
/// in the foreground (<c>-D -e</c>) on a free port, under a watchdog that stops it if the test process
/// dies. <see cref="StopAsync"/> kills it together with every session it serves (an agent dying),
/// <see cref="StartAgainAsync"/> brings it back on the same port with the same keys,
/// <see cref="RegenerateHostKeyAsync"/> simulates a reinstalled agent. Several instances run side by
/// side. A missing sshd is an error, never a skip.
/// </remarks>
public sealed partial class SshAgentServer : IAsyncDisposable
{
    private const string Sshd = "/usr/sbin/sshd";

    // Runs sshd ($0) in the foreground of a small watchdog: when the test process dies without disposing
    // this server, the stdin pipe closes, cat returns, and sshd is stopped instead of lingering.
    // (An asynchronous list reads /dev/null, hence stdin kept as fd 3; sshd must not inherit fd 3, it uses it itself.)
    private const string Watchdog =
        "exec 3<&0\n\"$0\" -D -e -f \"$1\" 3<&- & pid=$!\n(cat <&3 > /dev/null; kill \"$pid\" 2>/dev/null) &\nwait \"$pid\"";
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(15);
    private static readonly ProcessRunner Runner = new();

    private readonly string root;
    private readonly StringBuilder log = new();
    private Process? sshd;

    private readonly bool recordCommands;
    private readonly int niceness;
    private readonly string? cpuGroup;
    private readonly IReadOnlyDictionary<string, string> programs;
    private string wrapperCommand = "";

    private SshAgentServer(string root, bool recordCommands, int niceness, string? cpuGroup, IReadOnlyDictionary<string, string>? programs)
    {
        this.root = root;
        this.recordCommands = recordCommands;
        this.niceness = niceness;
        this.cpuGroup = cpuGroup;
        this.programs = programs ?? new Dictionary<string, string>();
        User = Environment.UserName;
        WorkDirectory = Path.Combine(root, "work");
        Directory.CreateDirectory(WorkDirectory);
    }

    public string Host { get; } = "127.0.0.1";

    public int Port { get; private set; }

    public string User { get; }

    /// <summary>The client's private key (OpenSSH format, unencrypted).</summary>
    public string ClientPrivateKey => File.ReadAllText(ClientPrivateKeyPath);

    /// <summary>The client's private key file (mode 0600).</summary>
    public string ClientPrivateKeyPath => Path.Combine(root, "client_ed25519");

    /// <summary>The current host key as a known_hosts line: <c>[127.0.0.1]:PORT ssh-ed25519 AAAA…</c>.</summary>
    public string HostKeyLine { get; private set; } = "";

    /// <summary>The agent's work root: a directory only this agent uses.</summary>
    public string WorkDirectory { get; }

    /// <summary>What sshd wrote (its log goes to stderr with <c>-e</c>), for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    private string HostKeyPath => Path.Combine(root, "host_ed25519");

    private string ConfigPath => Path.Combine(root, "sshd_config");

    /// <summary>
    /// Starts an agent. With <paramref name="recordCommands"/>, every command a client runs is first
    /// appended to a log with the time it arrived (see <see cref="Commands"/>), then run as usual.
    /// With a <paramref name="niceness"/> above 0, every command runs under <c>nice -n</c> (the arrival is
    /// recorded before, at normal priority): for benchmarks, where agents share the server's CPU although
    /// in production they are other machines. With a <paramref name="cpuGroup"/> (a CPU cgroup's
    /// directory), every session's shell joins that group right after the arrival is recorded, and what
    /// it runs stays there: the benchmarks' way to put all the agents' work behind the server's (see
    /// bench/Albs.Bench/AgentCpuGroup.cs). A session that cannot join fails (exit 125). The agent's files
    /// (keys, configuration, work directory) go in a new directory under <paramref name="parentDirectory"/>,
    /// by default the system's temporary directory. <paramref name="programs"/> (name → script text) are
    /// installed first on the sessions' PATH: tools this machine lacks, such as a stand-in for mock.
    /// </summary>
    public static async Task<SshAgentServer> StartAsync(
        bool recordCommands = false, int niceness = 0, string? cpuGroup = null, string? parentDirectory = null, IReadOnlyDictionary<string, string>? programs = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(niceness);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(niceness, 19);
        if (!File.Exists(Sshd) || !File.Exists("/usr/bin/ssh-keygen"))
        {
            throw new InvalidOperationException($"OpenSSH ({Sshd}, ssh-keygen) is not installed: run scripts/setup (Debian packages openssh-server, openssh-client).");
        }

        if (Environment.IsPrivilegedProcess)
        {
            // sshd's privilege separation directory; Debian creates it only when its service starts.
            Directory.CreateDirectory("/run/sshd");
        }

        var server = new SshAgentServer(
            parentDirectory is null
                ? Directory.CreateTempSubdirectory("albs-sshd-").FullName
                : Directory.CreateDirectory(Path.Combine(parentDirectory, $"albs-sshd-{Guid.NewGuid():N}")).FullName,
            recordCommands,
            niceness,
            cpuGroup,
            programs);
        try
        {
            await KeygenAsync(server.HostKeyPath);
            await KeygenAsync(server.ClientPrivateKeyPath);
            File.Copy(server.ClientPrivateKeyPath + ".pub", Path.Combine(server.root, "authorized_keys"));
            await server.WriteWrapperAsync();
            await server.StartOnFreePortAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills sshd and every session it serves, as if the agent died. The port stays this server's.</summary>
    public async Task StopAsync()
    {
        var process = Interlocked.Exchange(ref sshd, null);
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>Starts sshd again on the same port with the same keys.</summary>
    public async Task StartAgainAsync()
    {
        await StopAsync();
        for (var attempt = 1; ; attempt++)
        {
            if (await TryStartAsync(Port) || attempt == 20)
            {
                break;
            }

            await Task.Delay(250);
        }

        if (sshd is null)
        {
            throw new InvalidOperationException($"sshd did not start again on port {Port}:{Environment.NewLine}{Log}");
        }
    }

    /// <summary>Replaces the host key and restarts: the agent now presents a different identity.</summary>
    public async Task RegenerateHostKeyAsync()
    {
        await StopAsync();
        File.Delete(HostKeyPath);
        File.Delete(HostKeyPath + ".pub");
        await KeygenAsync(HostKeyPath);
        await StartAgainAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary directory is harmless.
        }
    }

    private static async Task KeygenAsync(string path)
    {
        var result = await Runner.RunCapturedAsync(new ProcessSpec("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "albs-test", "-f", path]) { Timeout = TimeSpan.FromSeconds(30) });
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"ssh-keygen failed ({result.ExitCode}): {result.StandardError}");
        }
    }

    private async Task StartOnFreePortAsync()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await TryStartAsync(FreePort()))
            {
                return;
            }
        }

        throw new InvalidOperationException($"sshd did not start in 5 attempts:{Environment.NewLine}{Log}");
    }

    private async Task<bool> TryStartAsync(int port)
    {
        Port = port;
        var hostKey = (await File.ReadAllTextAsync(HostKeyPath + ".pub")).Split(' ');
        HostKeyLine = $"[{Host}]:{port.ToString(CultureInfo.InvariantCulture)} {hostKey[0]} {hostKey[1]}";
        await File.WriteAllLinesAsync(ConfigPath, [
            $"Port {port.ToString(CultureInfo.InvariantCulture)}",
            $"ListenAddress {Host}",
            $"HostKey {HostKeyPath}",
            $"AuthorizedKeysFile {Path.Combine(root, "authorized_keys")}",
            $"PidFile {Path.Combine(root, "sshd.pid")}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "MaxSessions 64",
            "MaxStartups 64",
            "LogLevel INFO",
            "PermitUserRC no",

            // Sessions get the work directory as HOME: the test user's own dotfiles (a ~/.bashrc running
            // pyenv or the like) stay out of the agent, as on a dedicated build user.
            $"SetEnv HOME={WorkDirectory}",
            .. Wrapped ? new[] { $"ForceCommand {wrapperCommand}" } : [],
        ]);
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-c", Watchdog, Sshd, ConfigPath })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var logStart = Log.Length;
        var listening = $"Server listening on {Host} port {port.ToString(CultureInfo.InvariantCulture)}.";
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("sshd did not start.");
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var deadline = DateTime.UtcNow + StartLimit;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                process.Dispose();
                return false;
            }

            // sshd logs this line once it listens; a foreign server on the port would not make it appear.
            if (Log[logStart..].Contains(listening, StringComparison.Ordinal))
            {
                sshd = process;
                return true;
            }

            await Task.Delay(25);
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        return false;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.Length < 200_000)
            {
                log.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
