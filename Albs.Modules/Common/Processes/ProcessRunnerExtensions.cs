using System.Text;

namespace Albs.Modules.Common.Processes;

/// <summary>Convenience helpers over <see cref="IProcessRunner"/>.</summary>
public static class ProcessRunnerExtensions
{
    /// <summary>
    /// Runs <paramref name="spec"/> and captures its whole standard output and standard error in memory.
    /// Meant for short commands with small output (for example <c>git ls-remote</c>); stream long-running
    /// commands through <see cref="IProcessRunner.RunAsync"/> instead.
    /// </summary>
    /// <remarks>
    /// Output is captured line by line: each line is terminated by <c>\n</c>, whatever terminator the
    /// program used (<c>\r\n</c>, <c>\r</c> or <c>\n</c>).
    /// </remarks>
    /// <exception cref="ProcessStartException">The program could not be started.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<CapturedProcessResult> RunCapturedAsync(
        this IProcessRunner runner,
        ProcessSpec spec,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(spec);

        var standardOutput = new StringBuilder();
        var standardError = new StringBuilder();

        // Callbacks are serialized by the runner, so the builders need no locking.
        var result = await runner.RunAsync(
            spec,
            line =>
            {
                var target = line.Stream == ProcessStream.StandardOutput ? standardOutput : standardError;
                target.Append(line.Text).Append('\n');
                return ValueTask.CompletedTask;
            },
            cancellationToken);

        return new CapturedProcessResult(result, standardOutput.ToString(), standardError.ToString());
    }
}
