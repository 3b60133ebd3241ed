using System.Text;
using Albs.Modules.Builds.Logs;

namespace Albs.Tests.Builds;

/// <summary>The log viewer's ranged reads: whole lines, exact offsets, earlier slices that join without gaps.</summary>
public sealed class BuildLogSliceTests
{
    private static string Lines(int count) =>
        string.Concat(Enumerable.Range(1, count).Select(i => $"line {i} é\n"));

    [Fact]
    public async Task A_small_log_is_read_whole_with_each_lines_offset()
    {
        using var log = new MemoryStream(Encoding.UTF8.GetBytes("a\nbé\n\nlast"));
        var (start, end, lines) = await BuildLogDirectory.SliceAsync(log, null, 1024, wholeLinesOnly: false, default);
        (start, end).Should().Be((0L, 11L));
        lines.Select(l => (l.Offset, l.Text)).Should().Equal((0L, "a"), (2L, "bé"), (6L, ""), (7L, "last"));
    }

    [Fact]
    public async Task A_live_log_leaves_its_unfinished_line_to_the_follower()
    {
        using var log = new MemoryStream(Encoding.UTF8.GetBytes("one\ntwo\nthr"));
        var (_, end, lines) = await BuildLogDirectory.SliceAsync(log, null, 1024, wholeLinesOnly: true, default);
        end.Should().Be(8, "the stream resumes right after the last whole line");
        lines.Select(l => l.Text).Should().Equal("one", "two");
    }

    [Fact]
    public async Task The_tail_of_a_long_log_starts_on_a_line_and_earlier_slices_join_it_without_gaps()
    {
        var text = Lines(20_000);
        var bytes = Encoding.UTF8.GetBytes(text);
        using var log = new MemoryStream(bytes);

        var tail = await BuildLogDirectory.SliceAsync(log, null, 4096, wholeLinesOnly: false, default);
        tail.End.Should().Be(bytes.Length);
        tail.Start.Should().BeGreaterThan(bytes.Length - 4096 - 1);
        bytes[tail.Start - 1].Should().Be((byte)'\n', "the slice begins on a line, even inside a two-byte character");
        tail.Lines[^1].Text.Should().Be("line 20000 é");

        var earlier = await BuildLogDirectory.SliceAsync(log, tail.Start, 4096, wholeLinesOnly: false, default);
        earlier.End.Should().Be(tail.Start);
        var joined = string.Concat(earlier.Lines.Concat(tail.Lines).Select(l => l.Text + "\n"));
        text.Should().EndWith(joined);
        earlier.Lines.Concat(tail.Lines).Should().OnlyContain(l => text.Substring(Encoding.UTF8.GetCharCount(bytes, 0, (int)l.Offset)).StartsWith(l.Text + "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_compressed_log_is_sliced_through_its_plain_text()
    {
        var directory = Directory.CreateTempSubdirectory("albs-slice-");
        try
        {
            var path = Path.Combine(directory.FullName, "build.1.log");
            var text = Lines(50_000);
            await File.WriteAllTextAsync(path, text);
            await LogFiles.CompressAsync(path, default);
            File.Exists(path).Should().BeFalse();

            await using var log = LogFiles.OpenRead(path)!;
            var (_, end, lines) = await BuildLogDirectory.SliceAsync(log, null, 256 * 1024, wholeLinesOnly: false, default);
            end.Should().Be(Encoding.UTF8.GetByteCount(text));
            lines[^1].Text.Should().Be("line 50000 é");
            text.Should().EndWith(string.Concat(lines.Select(l => l.Text + "\n")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
