namespace Albs.Modules.Common.Processes;

/// <summary>
/// Runs external programs (ssh, git, rpmbuild, createrepo_c, gpg...). The single place where Albs starts
/// processes: arguments are passed as an argv list, never through a shell.
/// </summary>
public interface IProcessRunner
{
    /// <summary>
    /// Starts <paramref name="spec"/>, streams its output line by line, and waits until it exits and all of
    /// its output has been drained.
    /// </summary>
    /// <param name="spec">What to run.</param>
    /// <param name="onLine">
    /// Optional callback receiving each output line (decoded as UTF-8, terminator removed) as it arrives.
    /// Lines end at <c>\n</c>, <c>\r\n</c> or <c>\r</c>; a line longer than 65,536 characters is delivered in
    /// several pieces. Lines of one stream arrive in order (the relative order of the two streams is only as
    /// good as the operating system's pipes); invocations are serialized (never concurrent), and none happens
    /// after this method returns. If the callback throws, the process tree is killed and the exception is
    /// rethrown; after cancellation, remaining lines are discarded.
    /// </param>
    /// <param name="cancellationToken">
    /// Cancels the run: the whole process tree is killed and <see cref="OperationCanceledException"/> is thrown.
    /// </param>
    /// <returns>The exit code, whether <see cref="ProcessSpec.Timeout"/> elapsed, and the duration.</returns>
    /// <exception cref="ProcessStartException">The program could not be started.</exception>
    /// <exception cref="ArgumentException">The spec is invalid (empty program, NUL character, non-positive timeout...).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<ProcessResult> RunAsync(
        ProcessSpec spec,
        Func<ProcessOutputLine, ValueTask>? onLine = null,
        CancellationToken cancellationToken = default);
}
