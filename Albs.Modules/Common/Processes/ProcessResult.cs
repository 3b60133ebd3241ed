namespace Albs.Modules.Common.Processes;

/// <summary>Outcome of a finished external process.</summary>
/// <param name="ExitCode">
/// Exit code as reported by the operating system (a process killed by a signal reports 128 + signal
/// on Linux), or -1 when no code could be obtained.
/// </param>
/// <param name="TimedOut">
/// <see langword="true"/> when <see cref="ProcessSpec.Timeout"/> elapsed and the process tree was killed.
/// </param>
/// <param name="Duration">Wall-clock time from start until the process exited and its output was drained.</param>
public sealed record ProcessResult(int ExitCode, bool TimedOut, TimeSpan Duration)
{
    /// <summary><see langword="true"/> when the process exited with code 0 and did not time out.</summary>
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}

/// <summary>A <see cref="ProcessResult"/> together with the complete captured output.</summary>
/// <param name="Result">The process outcome.</param>
/// <param name="StandardOutput">All standard output lines, each terminated by <c>\n</c>.</param>
/// <param name="StandardError">All standard error lines, each terminated by <c>\n</c>.</param>
public sealed record CapturedProcessResult(ProcessResult Result, string StandardOutput, string StandardError)
{
    /// <inheritdoc cref="ProcessResult.ExitCode"/>
    public int ExitCode => Result.ExitCode;

    /// <inheritdoc cref="ProcessResult.TimedOut"/>
    public bool TimedOut => Result.TimedOut;

    /// <inheritdoc cref="ProcessResult.Succeeded"/>
    public bool Succeeded => Result.Succeeded;
}
