using System.Text;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Common.Storage;

namespace Albs.Tests.Builds;

public sealed class LogFilesTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("albs-logs-");

    public void Dispose() => root.Delete(recursive: true);

    [Theory]
    [InlineData("build.1.log", 1)]
    [InlineData("build.12.log", 12)]
    [InlineData("build.0.log", null)]
    [InlineData("build.01.log", null)]
    [InlineData("build.1.log.gz", null)]
    [InlineData("build..log", null)]
    [InlineData("build.-1.log", null)]
    [InlineData("build.1/../x.log", null)]
    [InlineData("build.99999999999.log", null)]
    [InlineData("mock.log", null)]
    public void Only_build_attempt_log_names_are_accepted(string name, int? attempt) =>
        LogFiles.AttemptOf(name).Should().Be(attempt);

    [Fact]
    public async Task A_compressed_log_reads_and_seeks_as_its_plain_text_and_is_listed_by_its_plain_name()
    {
        var data = new DataDirectory(root.FullName);
        var text = string.Concat(Enumerable.Range(1, 20_000).Select(i => $"line {i} ünïcode\n"));
        var bytes = Encoding.UTF8.GetBytes(text);
        var plain = LogFiles.PathOf(data, 3, 7, 2);
        Directory.CreateDirectory(Path.GetDirectoryName(plain)!);
        await File.WriteAllBytesAsync(plain, bytes);
        await File.WriteAllTextAsync(LogFiles.PathOf(data, 3, 7, 1), "first attempt\n");

        await LogFiles.CompressAsync(plain, CancellationToken.None);

        File.Exists(plain).Should().BeFalse();
        new FileInfo(plain + ".gz").Length.Should().BeLessThan(bytes.Length / 5);
        LogFiles.Names(data, 3, 7).Should().Equal("build.1.log", "build.2.log");
        await using var stream = LogFiles.OpenRead(plain)!;
        stream.Length.Should().Be(bytes.Length);
        foreach (var position in new[] { 100_000, 5, 250_000, 250_000, 0, bytes.Length - 10 })
        {
            stream.Position = position;
            var chunk = new byte[10];
            stream.ReadAtLeast(chunk, 10, throwOnEndOfStream: true);
            chunk.Should().Equal(bytes.AsSpan(position, 10).ToArray(), $"at {position}");
        }

        LogFiles.OpenRead(LogFiles.PathOf(data, 3, 7, 9)).Should().BeNull();
    }
}
