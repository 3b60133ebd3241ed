using System.IO.Compression;
using System.Text;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Builds;

/// <summary>
/// Compressed logs are a series of gzip members (see <see cref="GzipMembers"/>): still one gzip for
/// gzip itself, yet the log viewer's slices of a 100 MB log decompress only the member or two they need.
/// Work is measured in compressed bytes read, never in time.
/// </summary>
public sealed class LargeLogTests : IDisposable
{
    private const int SliceBytes = 256 * 1024;

    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("albs-biglog-");

    public void Dispose() => root.Delete(recursive: true);

    /// <summary>Line <paramref name="n"/> (from 1) of the generated log: fixed width, partly random so it compresses like a real log rather than to nothing.</summary>
    private static string Line(long n)
    {
        var mix = unchecked((ulong)n * 0x9E3779B97F4A7C15UL);
        mix = unchecked((mix ^ (mix >> 30)) * 0xBF58476D1CE4E5B9UL);
        mix ^= mix >> 31;
        return $"{n:D9} {mix:x16} cc -O2 -c src/m{n % 97:D2}/f{n % 1013:D4}.c\n";
    }

    private static readonly int Width = Line(1).Length;

    private static async Task<long> WriteLogAsync(string path, long approximateBytes)
    {
        var count = (approximateBytes + Width - 1) / Width;
        await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1024 * 1024);
        var buffer = new byte[Width];
        for (long n = 1; n <= count; n++)
        {
            Encoding.ASCII.GetBytes(Line(n), buffer);
            output.Write(buffer);
        }

        return count;
    }

    /// <summary>Every line is the generated line its offset says, and they follow each other.</summary>
    private static void ShouldBeGeneratedLines(IReadOnlyList<Albs.Modules.Builds.Contracts.BuildLogLine> lines, long start, long end)
    {
        lines.Should().NotBeEmpty();
        lines[0].Offset.Should().Be(start);
        for (var i = 0; i < lines.Count; i++)
        {
            lines[i].Offset.Should().Be(start + (i * (long)Width));
            (lines[i].Offset % Width).Should().Be(0);
            (lines[i].Text + "\n").Should().Be(Line((lines[i].Offset / Width) + 1));
        }

        end.Should().Be(start + (lines.Count * (long)Width));
    }

    private static async Task GzipDecompressesToAsync(string gz, string expected)
    {
        var output = gz + ".out";
        var result = await new ProcessRunner().RunCapturedAsync(new ProcessSpec("sh",
            ["-c", "gzip -dc -- \"$1\" > \"$2\" && cmp -- \"$2\" \"$3\"", "sh", gz, output, expected]));
        result.Succeeded.Should().BeTrue($"gzip -dc reproduces the log byte for byte: {result.StandardOutput}{result.StandardError}");
        File.Delete(output);
    }

    [Fact]
    public async Task A_100_MB_log_is_one_gzip_and_its_slices_decompress_a_member_or_two()
    {
        var plain = Path.Combine(root.FullName, "build.1.log");
        var count = await WriteLogAsync(plain, 100L * 1024 * 1024);
        var length = count * Width;
        var expected = Path.Combine(root.FullName, "expected.log");
        File.Copy(plain, expected);

        await LogFiles.CompressAsync(plain, default);

        File.Exists(plain).Should().BeFalse();
        var compressed = new FileInfo(plain + ".gz").Length;
        compressed.Should().BeGreaterThan(20L * 1024 * 1024, "the log does not compress to nothing, so reading little of it means something");
        await GzipDecompressesToAsync(plain + ".gz", expected);

        await using var log = (GzipLogStream)LogFiles.OpenRead(plain)!;
        log.Indexed.Should().BeTrue();
        log.Length.Should().Be(length);
        log.CompressedBytesRead.Should().BeLessThan(8 * 1024, "the length comes from the member headers alone");

        // The viewer's first page: the last 256 KB.
        var before = log.CompressedBytesRead;
        var tail = await BuildLogDirectory.SliceAsync(log, null, SliceBytes, wholeLinesOnly: false, default);
        ShouldBeGeneratedLines(tail.Lines, tail.Start, tail.End);
        tail.End.Should().Be(length);
        tail.Lines[^1].Text.Should().Be(Line(count).TrimEnd('\n'));
        (log.CompressedBytesRead - before).Should().BeLessThan(2 * GzipMembers.MemberPlainLength, "at most two members are decompressed, not the whole log");

        // "Show earlier": the page before, joining the tail without a gap.
        before = log.CompressedBytesRead;
        var earlier = await BuildLogDirectory.SliceAsync(log, tail.Start, SliceBytes, wholeLinesOnly: false, default);
        ShouldBeGeneratedLines(earlier.Lines, earlier.Start, earlier.End);
        earlier.End.Should().Be(tail.Start);
        (log.CompressedBytesRead - before).Should().BeLessThan(2 * GzipMembers.MemberPlainLength);

        // A page in the middle, reached by seeking back.
        before = log.CompressedBytesRead;
        var middle = await BuildLogDirectory.SliceAsync(log, length / 2, SliceBytes, wholeLinesOnly: false, default);
        ShouldBeGeneratedLines(middle.Lines, middle.Start, middle.End);
        middle.End.Should().BeGreaterThan((length / 2) - Width).And.BeLessThanOrEqualTo(length / 2);
        (log.CompressedBytesRead - before).Should().BeLessThan(2 * GzipMembers.MemberPlainLength);

        log.CompressedBytesRead.Should().BeLessThan(compressed / 5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(GzipMembers.MemberPlainLength)]
    [InlineData(GzipMembers.MemberPlainLength + 1)]
    [InlineData((3 * GzipMembers.MemberPlainLength) - 7)]
    public async Task Logs_of_any_length_compress_to_a_gzip_that_reads_and_seeks_back_whole(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        var plain = Path.Combine(root.FullName, "build.1.log");
        var expected = Path.Combine(root.FullName, "expected.log");
        await File.WriteAllBytesAsync(plain, bytes);
        await File.WriteAllBytesAsync(expected, bytes);

        await LogFiles.CompressAsync(plain, default);

        await GzipDecompressesToAsync(plain + ".gz", expected);
        await using var log = LogFiles.OpenRead(plain)!;
        log.Length.Should().Be(size);
        var whole = new byte[size];
        await log.ReadExactlyAsync(whole);
        whole.Should().Equal(bytes);
        foreach (var position in new[] { size / 2, 0, size - 1, 1, size / 3 }.Where(p => p >= 0 && p < size))
        {
            log.Position = position;
            log.ReadByte().Should().Be(bytes[position], $"at {position}");
        }

        // .NET reads the members as one stream too.
        await using var gzip = new GZipStream(File.OpenRead(plain + ".gz"), CompressionMode.Decompress);
        using var all = new MemoryStream();
        await gzip.CopyToAsync(all);
        all.ToArray().Should().Equal(bytes);
    }

    [Fact]
    public async Task A_log_compressed_as_one_gzip_stream_before_members_still_reads_and_slices()
    {
        var source = Path.Combine(root.FullName, "source.log");
        var count = await WriteLogAsync(source, 3L * 1024 * 1024);
        var length = count * Width;
        var plain = Path.Combine(root.FullName, "build.1.log");
        await using (var input = File.OpenRead(source))
        await using (var output = File.Create(plain + ".gz"))
        await using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            await input.CopyToAsync(gzip);
        }

        await using var log = (GzipLogStream)LogFiles.OpenRead(plain)!;
        log.Indexed.Should().BeFalse();
        log.Length.Should().Be(length);
        var tail = await BuildLogDirectory.SliceAsync(log, null, SliceBytes, wholeLinesOnly: false, default);
        ShouldBeGeneratedLines(tail.Lines, tail.Start, tail.End);
        tail.Lines[^1].Text.Should().Be(Line(count).TrimEnd('\n'));
        var middle = await BuildLogDirectory.SliceAsync(log, length / 2, SliceBytes, wholeLinesOnly: false, default);
        ShouldBeGeneratedLines(middle.Lines, middle.Start, middle.End);
        var head = await BuildLogDirectory.SliceAsync(log, SliceBytes, SliceBytes, wholeLinesOnly: false, default);
        ShouldBeGeneratedLines(head.Lines, head.Start, head.End);
        head.Start.Should().Be(0);
    }
}
