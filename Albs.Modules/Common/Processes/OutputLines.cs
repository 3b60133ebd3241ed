using System.Text;

namespace Albs.Modules.Common.Processes;

/// <summary>
/// Splits a program's text output into lines as <see cref="IProcessRunner"/> delivers them: at <c>\n</c>,
/// <c>\r\n</c> or <c>\r</c>, terminator removed, lines longer than <see cref="MaxLineLength"/> cut into
/// pieces (never between the halves of a surrogate pair) so a runaway line cannot exhaust memory.
/// </summary>
public static class OutputLines
{
    /// <summary>Longer lines are delivered in pieces of this many characters (one more when a surrogate pair straddles the cut).</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>Reads <paramref name="reader"/> to its end, handing each line to <paramref name="emit"/> in order.</summary>
    /// <param name="reader">The decoded output.</param>
    /// <param name="emit">Receives each line; awaited before the next is read.</param>
    /// <param name="onRead">Called after each read from the pipe (progress for callers that watch it).</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public static async Task SplitAsync(TextReader reader, Func<string, ValueTask> emit, Action? onRead = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(emit);
        var buffer = new char[8192];
        var line = new StringBuilder();
        var skipLineFeed = false;
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), cancellationToken)) > 0)
        {
            onRead?.Invoke();
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                var character = buffer[i];
                if (skipLineFeed)
                {
                    skipLineFeed = false;
                    if (character == '\n')
                    {
                        start = i + 1;
                        continue;
                    }
                }

                if (character is '\n' or '\r')
                {
                    line.Append(buffer, start, i - start);
                    await EmitAsync(line, emit);
                    skipLineFeed = character == '\r';
                    start = i + 1;
                }
                else if (line.Length + (i - start) >= MaxLineLength && !char.IsLowSurrogate(character))
                {
                    // The pending piece is full and the line goes on: deliver the piece and continue from this character.
                    line.Append(buffer, start, i - start);
                    await EmitAsync(line, emit);
                    start = i;
                }
            }

            line.Append(buffer, start, read - start);
        }

        if (line.Length > 0)
        {
            await EmitAsync(line, emit);
        }
    }

    private static ValueTask EmitAsync(StringBuilder line, Func<string, ValueTask> emit)
    {
        var text = line.ToString();
        line.Clear();
        return emit(text);
    }
}
