using System.Text;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Common.Processes;

public sealed class PosixShellTests : IDisposable
{
    private const int RandomCaseCount = 6_000;
    private const int MaxBatchCount = 250;

    // Linux limits a single argv string (the sh -c script) to 128 KiB; stay well below it.
    private const int MaxScriptBytes = 96 * 1024;

    private static readonly string[] NastyCases =
    [
        string.Empty,
        " ",
        "'",
        "''",
        "'\\''",
        "\"",
        "\\",
        "\\'",
        "'\"'\"'",
        "$(touch PWNED)",
        "`touch PWNED`",
        "; touch PWNED",
        "&& touch PWNED",
        "|| touch PWNED",
        "| touch PWNED",
        "& touch PWNED",
        "\ntouch PWNED\n",
        "'; touch PWNED; echo '",
        "\"; touch PWNED; echo \"",
        "$(touch${IFS}PWNED)",
        "> PWNED",
        "${x}",
        "${x:-$(touch PWNED)}",
        "$((1+1))",
        "$1 $@ $* $# $$ $? $! $0 $-",
        "*",
        "?",
        "[a-z]*",
        "~",
        "~root",
        "#",
        "# comment",
        "!",
        "!!",
        "{a,b}",
        "a=b",
        "FOO=bar",
        "if",
        "then",
        "--upload-pack=touch PWNED",
        "-",
        "--",
        "-e",
        "-n",
        "%s%n%%",
        "\\0",
        "\t",
        "\r",
        "\r\n",
        "\n",
        "\n\n\n",
        "\u001b[31mred\u001b[0m",
        "\u007f",
        "\u0085\u2028\u2029",
        "\u00a0",
        "ā",
        "\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088",
        "😀",
        "👩‍👩‍👧‍👦",
        "\u202Egnp.exe",
        "שלום עולם",
        "مرحبا",
        "日本語のテキスト",
        "\uFEFF",
        "\uFFFF",
        "\U0010FFFF",
        new string('\'', 2_000),
        new string('a', 20_000),
        string.Concat(Enumerable.Repeat("$(touch PWNED)'`;\"\\", 500)),
    ];

    private static readonly string[] Fragments =
    [
        "'", "\"", "\\", "\\\\", "$(", ")", "$(touch PWNED)", "${x}", "${", "}", "$", "`", "`touch PWNED`",
        ";", "; touch PWNED", "&&", "||", "|", "&", ">", ">>", "<", "<<EOF", "*", "?", "[", "]", "~", "#", "!",
        "\n", "\t", "\r", " ", "  ", "--upload-pack=x", "-", "--", "=", "%", "{a,b}", "(", "é", "ß", "😀",
        "👍🏽", "\u202E", "\u200F", "שלום", "مرحبا", "日本", "\\0",
        "'\\''", "$IFS", "\u001b", "\u0001", "\u007f",
    ];

    private readonly TempDirectory _temp = new();
    private readonly ProcessRunner _runner = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Quote_wraps_in_single_quotes_and_escapes_single_quotes()
    {
        PosixShell.Quote("abc").Should().Be("'abc'");
        PosixShell.Quote("it's").Should().Be("'it'\\''s'");
        PosixShell.Quote("$(x) `y` \"z\"").Should().Be("'$(x) `y` \"z\"'");
    }

    [Fact]
    public void Quote_of_the_empty_string_is_an_empty_quoted_word()
    {
        PosixShell.Quote(string.Empty).Should().Be("''");
    }

    [Fact]
    public void Join_quotes_each_argument_and_separates_with_spaces()
    {
        PosixShell.Join(["git", "ls-remote", "--", "it's"]).Should().Be("'git' 'ls-remote' '--' 'it'\\''s'");
        PosixShell.Join([]).Should().BeEmpty();
    }

    [Fact]
    public void A_NUL_character_cannot_be_quoted()
    {
        var quote = () => PosixShell.Quote("a\0b");
        var join = () => PosixShell.Join(["ok", "\0"]);

        quote.Should().Throw<ArgumentException>().WithMessage("*NUL*").Which.ParamName.Should().Be("argument");
        join.Should().Throw<ArgumentException>().WithMessage("*NUL*");
    }

    [Fact]
    public void A_null_argument_is_rejected()
    {
        var join = () => PosixShell.Join(["ok", null!]);

        join.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task Empty_strings_round_trip_as_empty_arguments_through_a_real_shell()
    {
        var script = $"set -- {PosixShell.Join(["", "x", PosixShell.Quote(string.Empty), string.Empty])}; "
            + "echo \"$#\"; for a in \"$@\"; do echo \"[$a]\"; done";

        var result = await _runner.RunCapturedAsync(new ProcessSpec("sh", ["-c", script]) { Timeout = TimeSpan.FromSeconds(30) });

        result.Succeeded.Should().BeTrue();
        result.StandardOutput.Should().Be("4\n[]\n[x]\n['']\n[]\n");
    }

    [Fact]
    public async Task Hostile_strings_round_trip_byte_identically_through_a_real_shell_and_nothing_is_executed()
    {
        var cases = NastyCases.Concat(GenerateHostileStrings(new Random(20240611), RandomCaseCount)).ToList();
        cases.Count.Should().BeGreaterThanOrEqualTo(5_000);

        var batches = 0;
        foreach (var batch in Batch(cases))
        {
            await AssertRoundTripAsync(batch);
            batches++;
        }

        batches.Should().BeGreaterThan(1);
        File.Exists(_temp.File("PWNED")).Should().BeFalse("no quoted string may be executed");
        Directory.EnumerateFileSystemEntries(_temp.Path).Select(Path.GetFileName).Should().BeEmpty();
    }

    private async Task AssertRoundTripAsync(List<string> batch)
    {
        var outFile = _temp.File("out.bin");
        var script = $"printf '%s\\0' {PosixShell.Join(batch)} > {PosixShell.Quote(outFile)}";

        var result = await _runner.RunCapturedAsync(
            new ProcessSpec("sh", ["-c", script]) { WorkingDirectory = _temp.Path, Timeout = TimeSpan.FromSeconds(60) });

        result.StandardError.Should().BeEmpty();
        result.Succeeded.Should().BeTrue();

        var output = await File.ReadAllBytesAsync(outFile);
        File.Delete(outFile);

        var actual = SplitOnNul(output);
        actual.Should().HaveCount(batch.Count, "each quoted string must come back as exactly one argument");
        for (var i = 0; i < batch.Count; i++)
        {
            var expected = Encoding.UTF8.GetBytes(batch[i]);
            if (!actual[i].AsSpan().SequenceEqual(expected))
            {
                Assert.Fail(
                    $"Argument {i} did not round-trip.\nExpected: {Describe(expected)}\nActual:   {Describe(actual[i])}");
            }
        }
    }

    private static List<byte[]> SplitOnNul(byte[] output)
    {
        var parts = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < output.Length; i++)
        {
            if (output[i] == 0)
            {
                parts.Add(output[start..i]);
                start = i + 1;
            }
        }

        start.Should().Be(output.Length, "the output must end with a NUL terminator");
        return parts;
    }

    private static string Describe(byte[] bytes) =>
        bytes.Length > 200 ? $"{bytes.Length} bytes: {Convert.ToHexString(bytes, 0, 200)}..." : Convert.ToHexString(bytes);

    private static IEnumerable<List<string>> Batch(IEnumerable<string> cases)
    {
        var batch = new List<string>();
        var bytes = 0;
        foreach (var value in cases)
        {
            var quotedBytes = Encoding.UTF8.GetByteCount(PosixShell.Quote(value)) + 1;
            if (batch.Count > 0 && (batch.Count >= MaxBatchCount || bytes + quotedBytes > MaxScriptBytes))
            {
                yield return batch;
                batch = [];
                bytes = 0;
            }

            batch.Add(value);
            bytes += quotedBytes;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private static IEnumerable<string> GenerateHostileStrings(Random random, int count)
    {
        var builder = new StringBuilder();
        for (var n = 0; n < count; n++)
        {
            builder.Clear();
            var roll = random.Next(100);
            var pieces = roll switch
            {
                < 3 => 0, // Empty string.
                < 6 => random.Next(200, 2_000), // Long.
                _ => random.Next(1, 12),
            };

            if (roll % 7 == 0)
            {
                builder.Append(random.Next(2) == 0 ? "--upload-pack=" : "-");
            }

            for (var p = 0; p < pieces; p++)
            {
                switch (random.Next(10))
                {
                    case < 6:
                        builder.Append(Fragments[random.Next(Fragments.Length)]);
                        break;
                    case 6:
                    case 7:
                        builder.Append((char)random.Next(0x20, 0x7F)); // Printable ASCII.
                        break;
                    case 8:
                        builder.Append((char)random.Next(0x01, 0x20)); // Control characters except NUL.
                        break;
                    default:
                        AppendRandomScalar(random, builder);
                        break;
                }
            }

            yield return builder.ToString();
        }
    }

    private static void AppendRandomScalar(Random random, StringBuilder builder)
    {
        // Any Unicode scalar value except NUL and surrogates (a lone surrogate has no UTF-8 encoding).
        int codePoint;
        do
        {
            codePoint = random.Next(2) == 0 ? random.Next(0x80, 0x800) : random.Next(0x800, 0x110000);
        }
        while (codePoint is >= 0xD800 and <= 0xDFFF);

        builder.Append(char.ConvertFromUtf32(codePoint));
    }
}
