using Albs.Web.Components.Pages.Builds;

namespace Albs.Tests.Web;

/// <summary>The log viewer's ANSI-to-HTML conversion: colours become classes, everything else is text.</summary>
public sealed class AnsiTextTests
{
    [Fact]
    public void Plain_text_is_encoded_and_nothing_else()
    {
        AnsiText.ToHtml("gcc -O2 -o hello hello.c").Should().Be("gcc -O2 -o hello hello.c");
        AnsiText.ToHtml("").Should().BeEmpty();
    }

    [Fact]
    public void Colours_and_bold_become_spans_with_classes_until_a_reset()
    {
        AnsiText.ToHtml("\u001b[1;31merror:\u001b[0m missing ; \u001b[32mok\u001b[39m done")
            .Should().Be("<span class=\"ansi-bold ansi-fg-1\">error:</span> missing ; <span class=\"ansi-fg-2\">ok</span> done");
        AnsiText.ToHtml("\u001b[93;44mwarn\u001b[m").Should().Be("<span class=\"ansi-fg-11 ansi-bg-4\">warn</span>");
        AnsiText.ToHtml("\u001b[38;5;196mred\u001b[0m").Should().Be("red", "256-colour codes are skipped, not misread");
    }

    [Fact]
    public void Markup_in_a_log_line_comes_out_escaped()
    {
        AnsiText.ToHtml("<script>alert('x')</script> & \"q\"")
            .Should().Be("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
        AnsiText.ToHtml("\u001b[31m<img src=x onerror=alert(1)>\u001b[0m")
            .Should().Be("<span class=\"ansi-fg-1\">&lt;img src=x onerror=alert(1)&gt;</span>");
    }

    [Fact]
    public void Other_escape_sequences_and_control_characters_are_dropped()
    {
        AnsiText.ToHtml("\u001b[2K\u001b[1Gprogress 50%\u0007\u001b").Should().Be("progress 50%");
        AnsiText.ToHtml("a\tb").Should().Be("a\tb");
    }
}
