using System.Net;
using System.Text;

namespace Albs.Web.Components.Pages.Builds;

/// <summary>
/// Turns a log line with ANSI escape sequences into HTML: colour and bold (SGR) become
/// <c>&lt;span class="ansi-…"&gt;</c>, every other escape sequence is dropped, and all text is
/// HTML-encoded, so log text never reaches the page as markup. <c>wwwroot/js/logview.js</c> does the
/// same for lines that arrive live (with DOM text nodes).
/// </summary>
internal static class AnsiText
{
    private const char Escape = '\u001b';

    /// <summary>The line as safe HTML.</summary>
    public static string ToHtml(string line)
    {
        var html = new StringBuilder(line.Length + 16);
        var style = new Style();
        var text = new StringBuilder();

        void Flush()
        {
            if (text.Length == 0)
            {
                return;
            }

            var classes = style.Classes();
            if (classes.Length > 0)
            {
                html.Append("<span class=\"").Append(classes).Append("\">").Append(WebUtility.HtmlEncode(text.ToString())).Append("</span>");
            }
            else
            {
                html.Append(WebUtility.HtmlEncode(text.ToString()));
            }

            text.Clear();
        }

        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c == Escape && i + 1 < line.Length && line[i + 1] == '[')
            {
                // CSI: parameters and intermediates, then one final byte in @..~.
                var j = i + 2;
                while (j < line.Length && line[j] is >= '0' and <= '?')
                {
                    j++;
                }

                while (j < line.Length && line[j] is >= ' ' and <= '/')
                {
                    j++;
                }

                if (j < line.Length && line[j] == 'm')
                {
                    Flush();
                    style.Apply(line[(i + 2)..j]);
                }

                i = Math.Min(j + 1, line.Length);
                continue;
            }

            if (c == Escape || (char.IsControl(c) && c != '\t'))
            {
                // A lone escape or another control character: not shown.
                i++;
                continue;
            }

            text.Append(c);
            i++;
        }

        Flush();
        return html.ToString();
    }

    /// <summary>The SGR state: bold, foreground and background colour (0–15, or null for the default).</summary>
    private sealed class Style
    {
        private bool bold;
        private int? foreground;
        private int? background;

        public void Apply(string parameters)
        {
            var codes = parameters.Length == 0 ? ["0"] : parameters.Split(';');
            for (var k = 0; k < codes.Length; k++)
            {
                if (!int.TryParse(codes[k], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
                {
                    code = 0;
                }

                switch (code)
                {
                    case 0:
                        (bold, foreground, background) = (false, null, null);
                        break;
                    case 1:
                        bold = true;
                        break;
                    case 22:
                        bold = false;
                        break;
                    case >= 30 and <= 37:
                        foreground = code - 30;
                        break;
                    case 39:
                        foreground = null;
                        break;
                    case >= 40 and <= 47:
                        background = code - 40;
                        break;
                    case 49:
                        background = null;
                        break;
                    case >= 90 and <= 97:
                        foreground = code - 90 + 8;
                        break;
                    case >= 100 and <= 107:
                        background = code - 100 + 8;
                        break;
                    case 38 or 48:
                        // 256-colour and true-colour forms are skipped (5;n or 2;r;g;b).
                        k += k + 1 < codes.Length && codes[k + 1] == "5" ? 2 : 4;
                        break;
                    default:
                        break;
                }
            }
        }

        public string Classes()
        {
            var classes = new List<string>(3);
            if (bold)
            {
                classes.Add("ansi-bold");
            }

            if (foreground is { } fg)
            {
                classes.Add($"ansi-fg-{fg}");
            }

            if (background is { } bg)
            {
                classes.Add($"ansi-bg-{bg}");
            }

            return string.Join(' ', classes);
        }
    }
}
