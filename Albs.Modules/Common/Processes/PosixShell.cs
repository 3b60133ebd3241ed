using System.Text;

namespace Albs.Modules.Common.Processes;

/// <summary>
/// Quoting for a remote POSIX shell, e.g. to build the command string of <c>ssh host -- &lt;command&gt;</c>
/// (ssh joins its arguments with spaces and hands the result to the remote login shell's <c>-c</c>).
/// </summary>
/// <remarks>
/// <para>
/// Every argument is always wrapped in single quotes, even when it only contains "safe" characters.
/// Inside single quotes a POSIX shell performs no expansion at all (no <c>$</c>, backtick, backslash,
/// glob, tilde, history or word splitting), so the only character needing care is the single quote
/// itself, which is written as <c>'\''</c> (close quote, escaped quote, reopen quote).
/// Quoting unconditionally also means a word can never be taken as a variable assignment
/// (<c>FOO=bar cmd</c>), a reserved word (<c>if</c>, <c>then</c>...) or an alias, which a bare "safe"
/// word could be when it lands in command position.
/// </para>
/// <para>
/// Quoting does not prevent option injection: an argument starting with <c>-</c> is still passed as
/// an argument starting with <c>-</c>. Placing <c>--</c> before operands is the caller's job.
/// </para>
/// <para>
/// This assumes the remote login shell is POSIX-compatible (sh, dash, bash, ksh, zsh); csh and fish
/// quote differently.
/// </para>
/// </remarks>
public static class PosixShell
{
    /// <summary>
    /// Quotes one argument so that a POSIX shell reads it back as exactly one word with exactly this text.
    /// The empty string becomes <c>''</c>.
    /// </summary>
    /// <param name="argument">The argument to quote.</param>
    /// <returns>The quoted word, e.g. <c>it's</c> becomes <c>'it'\''s'</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="argument"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="argument"/> contains a NUL character.</exception>
    public static string Quote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        var builder = new StringBuilder(argument.Length + 2);
        AppendQuoted(builder, argument, nameof(argument));
        return builder.ToString();
    }

    /// <summary>
    /// Quotes every argument with <see cref="Quote"/> and joins them with single spaces.
    /// </summary>
    /// <param name="arguments">The arguments, in order.</param>
    /// <returns>The command-line fragment; the empty string when there are no arguments.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="arguments"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException">An argument contains a NUL character.</exception>
    public static string Join(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var builder = new StringBuilder();
        var index = 0;
        foreach (var argument in arguments)
        {
            if (argument is null)
            {
                throw new ArgumentNullException(nameof(arguments), $"Argument at index {index} is null.");
            }

            if (index > 0)
            {
                builder.Append(' ');
            }

            AppendQuoted(builder, argument, nameof(arguments));
            index++;
        }

        return builder.ToString();
    }

    private static void AppendQuoted(StringBuilder builder, string argument, string parameterName)
    {
        if (argument.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException(
                "The argument contains a NUL character (U+0000), which cannot be passed in a POSIX argument: "
                + "C strings end at the first NUL, so the remote program would silently receive a truncated value.",
                parameterName);
        }

        builder.Append('\'');
        foreach (var character in argument)
        {
            if (character == '\'')
            {
                builder.Append(@"'\''");
            }
            else
            {
                builder.Append(character);
            }
        }

        builder.Append('\'');
    }
}
