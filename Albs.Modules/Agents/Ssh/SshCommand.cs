using System.Globalization;

namespace Albs.Modules.Agents.Ssh;

/// <summary>
/// The one ssh command line Albs uses, as an argument list. Nothing from the user's or the system's
/// ssh configuration applies (<c>-F /dev/null</c>); the host key must match the pinned one (checked
/// under <c>HostKeyAlias</c>, never learned or updated); only the agent's key is offered; connections
/// are multiplexed per agent; ssh's own messages go to <c>-E</c> so they are never mixed with the
/// remote command's stderr.
/// </summary>
internal static class SshCommand
{
    public static List<string> Run(SshTarget target, string logFile, string remoteCommand) =>
        [.. Options(target, logFile), "-T", "-p", Port(target), Destination(target), "--", remoteCommand];

    private static List<string> Options(SshTarget target, string logFile) =>
    [
        "-F", "/dev/null",
        "-E", logFile,
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=" + target.KnownHostsFile,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "HostKeyAlias=" + target.HostKeyAlias,
        "-o", "UpdateHostKeys=no",
        "-o", "CheckHostIP=no",
        "-o", "IdentitiesOnly=yes",
        "-o", "IdentityAgent=none",
        "-o", "PreferredAuthentications=publickey",
        "-i", EscapeTokens(target.KeyFile),
        "-o", "ControlMaster=auto",
        "-o", "ControlPath=" + target.ControlSocket,
        "-o", "ControlPersist=60",
        "-o", "ConnectTimeout=10",
        "-o", "ServerAliveInterval=15",
        "-o", "ServerAliveCountMax=3",
        "-o", "LogLevel=ERROR",
    ];

    private static string Port(SshTarget target) => target.Agent.Port.ToString(CultureInfo.InvariantCulture);

    // Host and user are validated (no leading '-', no '@', no spaces), so this is one destination word.
    private static string Destination(SshTarget target) => $"{target.Agent.User}@{target.Agent.Host}";

    /// <summary>ssh expands <c>%</c> tokens and <c>${VAR}</c> in identity file names.</summary>
    private static string EscapeTokens(string path)
    {
        if (path.Contains("${", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The key file path contains '${', which ssh would expand; move the data directory.");
        }

        return path.Replace("%", "%%", StringComparison.Ordinal);
    }
}
