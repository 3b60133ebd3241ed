namespace Albs.Modules.Common.Processes;

/// <summary>
/// Describes one external program invocation. The program is started directly (never through a shell),
/// and every entry of <see cref="Arguments"/> reaches it verbatim as one argv element.
/// </summary>
/// <param name="FileName">
/// The program to run: an absolute path, or a bare name resolved through <c>PATH</c>.
/// </param>
/// <param name="Arguments">
/// The arguments, passed one by one (no splitting, no quoting, no expansion). They may be user-influenced:
/// callers are still responsible for placing <c>--</c> before operands that could look like options.
/// </param>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Working directory of the child; <see langword="null"/> inherits the current one.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Environment changes applied on top of the inherited environment. A <see langword="null"/> value
    /// removes the variable from the child's environment.
    /// </summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>
    /// Maximum run time. When it elapses the whole process tree is killed and the result reports
    /// <see cref="ProcessResult.TimedOut"/>. <see langword="null"/> means no limit. Must be positive.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Text written (UTF-8, no BOM) to the child's standard input, which is then closed. When
    /// <see langword="null"/>, standard input is closed immediately so the child reads end-of-file
    /// instead of waiting on a terminal.
    /// </summary>
    public string? StandardInput { get; init; }
}
