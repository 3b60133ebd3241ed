using System.Diagnostics.CodeAnalysis;

namespace Albs.Modules.Common.Processes;

/// <summary>The output stream a line was read from.</summary>
[SuppressMessage(
    "Naming",
    "CA1711:Identifiers should not have incorrect suffix",
    Justification = "Names a standard stream of a process, not a System.IO.Stream; the name is part of the agreed contract.")]
public enum ProcessStream
{
    /// <summary>The child's standard output.</summary>
    StandardOutput,

    /// <summary>The child's standard error.</summary>
    StandardError,
}

/// <summary>One line of child output, without its line terminator.</summary>
/// <param name="Stream">The stream the line came from.</param>
/// <param name="Text">The line text, decoded as UTF-8.</param>
public readonly record struct ProcessOutputLine(ProcessStream Stream, string Text);
