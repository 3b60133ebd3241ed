using System.Globalization;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Common.Processes;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Agents.Ssh;

/// <summary>The host keys an agent offers, as <c>ssh-keyscan</c> reports them, for an admin to confirm.</summary>
internal sealed record ScannedHostKeys(IReadOnlyList<string> Lines, IReadOnlyList<string> Fingerprints);

internal sealed class HostKeyScanner(IProcessRunner runner, IOptions<AgentsOptions> options)
{
    /// <summary>The scanned keys, or null with the reason when none could be read.</summary>
    public async Task<(ScannedHostKeys? Keys, string? Error)> ScanAsync(string host, int port, CancellationToken cancellationToken)
    {
        var timeout = options.Value.KeyscanTimeout;
        var seconds = Math.Max(1, (int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var result = await runner.RunCapturedAsync(
            new ProcessSpec("ssh-keyscan", ["-T", seconds, "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "ed25519,ecdsa,rsa", "--", host])
            {
                Timeout = timeout + TimeSpan.FromSeconds(5),
            },
            cancellationToken);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#'))
            .ToList();
        var (normalized, _) = lines.Count == 0 ? (null, null) : HostKeys.Parse(string.Join('\n', lines));
        if (normalized is null)
        {
            var why = result.TimedOut ? "timed out" : $"got no host key (exit code {result.ExitCode})";
            return (null, $"ssh-keyscan of {host} port {port} {why}.");
        }

        return (new ScannedHostKeys(lines, HostKeys.Fingerprints(normalized)), null);
    }
}
