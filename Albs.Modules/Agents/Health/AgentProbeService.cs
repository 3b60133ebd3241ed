using System.Globalization;
using System.Text;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Agents.Ssh;
using Albs.Modules.Common.Processes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Agents.Health;

/// <summary>
/// Probes every enabled agent (not one whose host key is in question) every
/// <see cref="AgentsOptions.ProbeInterval"/>, and at once when woken by <see cref="AgentProbeSignal"/>:
/// <c>cat /proc/loadavg</c> over the agent's multiplexed connection. Success marks it online with its
/// load; failure marks it offline (or host-key-mismatch) with the reason.
/// </summary>
internal sealed class AgentProbeService(
    AgentStateStore store,
    SshClient ssh,
    AgentProbeSignal signal,
    IOptions<AgentsOptions> options,
    ILogger<AgentProbeService> logger) : BackgroundService
{
    private static readonly string ProbeCommand = PosixShell.Join(["cat", "/proc/loadavg"]);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.ProbeEnabled)
        {
            return;
        }

        while (true)
        {
            try
            {
                var agents = await store.ProbeTargetsAsync(stoppingToken);
                await Parallel.ForEachAsync(
                    agents,
                    new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = stoppingToken },
                    async (agent, ct) => await ProbeAsync(agent, settings.ProbeTimeout, ct));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Probing agents failed; retrying after {Interval}", settings.ProbeInterval);
            }

            try
            {
                await signal.WaitAsync(settings.ProbeInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ssh.CloseAllAsync();
    }

    /// <summary>Probes one agent and records the outcome.</summary>
    public async Task ProbeAsync(AgentConnection agent, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (state, error, load) = await RunProbeAsync(agent, timeout, cancellationToken);
        await store.RecordAsync(agent, state, error, load, cancellationToken);
    }

    private async Task<(string State, string? Error, double? Load)> RunProbeAsync(AgentConnection agent, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        SshRun run;
        try
        {
            run = await ssh.RunAsync(agent, ProbeCommand, line =>
            {
                var target = line.Stream == ProcessStream.StandardOutput ? stdout : stderr;
                if (target.Length < 4096)
                {
                    target.Append(line.Text).Append('\n');
                }

                return ValueTask.CompletedTask;
            }, timeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A key that no longer decrypts, ssh missing, an unwritable runtime directory...
            return (AgentStates.Offline, $"probe failed: {ex.GetType().Name}: {ex.Message}", null);
        }

        if (run.Failure is { } failure)
        {
            return (failure.Kind == SshFailureKind.HostKeyMismatch ? AgentStates.HostKeyMismatch : AgentStates.Offline, failure.Message, null);
        }

        if (run.Result.TimedOut)
        {
            return (AgentStates.Offline, $"probe timed out after {timeout}", null);
        }

        var fields = stdout.ToString().Split(' ', 2);
        if (run.Result.ExitCode != 0 || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var load))
        {
            return (AgentStates.Offline, $"probe 'cat /proc/loadavg' failed (exit code {run.Result.ExitCode}): {stderr.ToString().Trim()}", null);
        }

        return (AgentStates.Online, null, load);
    }
}
