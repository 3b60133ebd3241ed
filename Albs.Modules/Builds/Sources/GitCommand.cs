using Albs.Modules.Common.Processes;

namespace Albs.Modules.Builds.Sources;

/// <summary>
/// The one way the server runs git on anything a user gave: no prompts, no remote helpers
/// (<c>ext::</c>, <c>fd::</c>), no system configuration, only the allowed protocols.
/// </summary>
internal static class GitCommand
{
    public static ProcessSpec Spec(IReadOnlyList<string> args, bool allowFile, TimeSpan timeout, string? workingDirectory = null) =>
        new("git", ["-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never", .. args])
        {
            WorkingDirectory = workingDirectory,
            Timeout = timeout,
            Environment = new Dictionary<string, string?>
            {
                ["GIT_TERMINAL_PROMPT"] = "0",
                ["GIT_ASKPASS"] = "/bin/false",
                ["SSH_ASKPASS"] = "/bin/false",
                ["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes",
                ["GIT_ALLOW_PROTOCOL"] = allowFile ? "https:http:git:ssh:file" : "https:http:git:ssh",
                ["GIT_CONFIG_NOSYSTEM"] = "1",
            },
        };
}
