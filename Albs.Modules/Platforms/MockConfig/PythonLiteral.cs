using System.Globalization;
using System.Text;

namespace Albs.Modules.Platforms.MockConfig;

/// <summary>
/// Python 3 string literals whose value is exactly the given text. The output is pure printable
/// ASCII: quotes and backslashes are escaped, and every other character outside 0x20–0x7E becomes
/// a <c>\n</c>, <c>\xNN</c>, <c>\uNNNN</c> or <c>\UNNNNNNNN</c> escape, so no input can end the
/// literal, start a new line of code or change how the file is decoded.
/// </summary>
internal static class PythonLiteral
{
    /// <summary>A single-quoted literal: <c>'it\'s'</c>.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('\'');
        Append(builder, value, keepNewlines: false);
        builder.Append('\'');
        return builder.ToString();
    }

    /// <summary>
    /// A triple-double-quoted literal that keeps line feeds as real line breaks (for readable
    /// multi-line values such as <c>dnf.conf</c>); every <c>"</c> is escaped, so none can close it.
    /// </summary>
    public static string QuoteMultiline(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 6);
        builder.Append("\"\"\"");
        Append(builder, value, keepNewlines: true);
        builder.Append("\"\"\"");
        return builder.ToString();
    }

    /// <summary>A tuple of string literals: <c>('a', 'b')</c>, with the trailing comma a one-element tuple needs.</summary>
    public static string Tuple(IEnumerable<string> values)
    {
        var items = values.Select(Quote).ToList();
        return items.Count == 1 ? $"({items[0]},)" : $"({string.Join(", ", items)})";
    }

    private static void Append(StringBuilder builder, string value, bool keepNewlines)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\'':
                    builder.Append(@"\'");
                    break;
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\n':
                    builder.Append(keepNewlines ? "\n" : @"\n");
                    break;
                case '\r':
                    builder.Append(@"\r");
                    break;
                case '\t':
                    builder.Append(@"\t");
                    break;
                case >= ' ' and <= '~':
                    builder.Append(c);
                    break;
                case < '\u0100':
                    builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        builder.Append(CultureInfo.InvariantCulture, $"\\U{char.ConvertToUtf32(c, value[i + 1]):x8}");
                        i++;
                    }
                    else
                    {
                        builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }

                    break;
            }
        }
    }
}
