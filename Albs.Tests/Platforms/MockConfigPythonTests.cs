using System.Text.Json;
using Albs.Modules.Common.Processes;
using Albs.Modules.Platforms.MockConfig;

namespace Albs.Tests.Platforms;

/// <summary>
/// Runs generated configs through a real python3 the way mock loads them (<c>exec</c> with a
/// <c>config_opts</c> dictionary) and reads back what they set.
/// </summary>
public sealed class MockConfigPythonTests : IDisposable
{
    // A stand-in for mock's config loading: config_opts is an auto-vivifying dict, the file is exec'd.
    private const string Loader = """
        import collections, json, sys
        tree = lambda: collections.defaultdict(tree)
        config_opts = tree()
        with open(sys.argv[1], encoding='utf-8') as f:
            source = f.read()
        exec(compile(source, sys.argv[1], 'exec'), {'config_opts': config_opts})
        if sys.argv[2:] == ['codepoints']:
            config_opts = {k: [ord(c) for c in v] for k, v in config_opts.items()}
        json.dump(config_opts, sys.stdout)
        """;

    private readonly string directory = Directory.CreateTempSubdirectory("albs-mockcfg-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task A_generated_config_is_valid_python_and_a_hostile_value_round_trips_as_data()
    {
        var marker = Path.Combine(directory, "pwned");
        var hostile = MockConfigGeneratorTests.HostileValue.Replace("/tmp/albs-pwned", marker, StringComparison.Ordinal);
        var options = MockConfigGeneratorTests.FeatureOptions with
        {
            Defines = new Dictionary<string, string>(MockConfigGeneratorTests.FeatureOptions.Defines) { ["hostile"] = hostile },
        };
        var config = new MockConfigBuilder().BuildMockConfig(
            PlatformTestData.Definition("AlmaLinux-9"), "aarch64", options, MockConfigGeneratorTests.LinkedBuild);

        var opts = await ExecAsync(config);

        File.Exists(marker).Should().BeFalse("the hostile value must never run");
        var macros = opts.GetProperty("macros");
        macros.GetProperty("%hostile").GetString().Should().Be(hostile);
        macros.GetProperty("%dist").GetString().Should().Be(".el9");
        macros.GetProperty("%_with_docs_extra").GetString().Should().Be("--with-docs-extra");
        macros.GetProperty("%_without_check").GetString().Should().Be("--without-check");
        macros.GetProperty("%vendor").GetString().Should().Be("Example Corp", "a define overrides the platform's macro");
        opts.GetProperty("root").GetString().Should().Be("albs-AlmaLinux-9-aarch64");
        opts.GetProperty("target_arch").GetString().Should().Be("aarch64");
        opts.GetProperty("legal_host_arches").EnumerateArray().Select(e => e.GetString()).Should().Equal("aarch64");
        opts.GetProperty("releasever").GetString().Should().Be("9");
        opts.GetProperty("dist").GetString().Should().Be("el9");
        opts.GetProperty("rpmbuild_timeout").GetInt32().Should().Be(12 * 3600);
        opts.GetProperty("bootstrap_image").GetString().Should().Be("quay.io/almalinuxorg/almalinux:9", "the platform template runs too");

        var dnf = opts.GetProperty("dnf.conf").GetString()!;
        dnf.Should().Contain("[main]\n").And.Contain("baseurl=https://repo.almalinux.org/almalinux/9/BaseOS/$basearch/os/\n");
        dnf.IndexOf("[albs-build-42]\n", StringComparison.Ordinal).Should().BeLessThan(dnf.IndexOf("[baseos]\n", StringComparison.Ordinal));
        dnf.Should().Contain("[albs-build-42]\nname=albs-build-42\nbaseurl=https://albs.example.org/repos/build-42/AlmaLinux-9-aarch64/\nenabled=1\npriority=1\n");
        dnf.Should().NotContain("baseos-i686", "i686-only repositories are not used for aarch64");
    }

    [Fact]
    public async Task Python_literals_round_trip_exactly()
    {
        string[] values =
        [
            "'''", "\"\"\"", "\\", "\\'", "end\\", "\n\r\t\v\f\u0085\u2028\u2029", "\u0000", "\ud800", "\udc00x",
            "\U0001F600 \u00e9", "' + str(__import__('os').getpid()) + '", "\"\"\" + str(1) + \"\"\"", "\\\n",
        ];
        var script = string.Concat(values.Select((v, i) =>
            $"config_opts['single{i}'] = {PythonLiteral.Quote(v)}\nconfig_opts['multi{i}'] = {PythonLiteral.QuoteMultiline(v)}\n"));

        // Compared as code points: a lone surrogate cannot travel through JSON text intact.
        var opts = await ExecAsync(script, "codepoints");
        for (var i = 0; i < values.Length; i++)
        {
            CodePoints(opts.GetProperty($"single{i}")).Should().Equal(CodePoints(values[i]), $"value {i} is in a single-quoted literal");
            CodePoints(opts.GetProperty($"multi{i}")).Should().Equal(CodePoints(values[i]), $"value {i} is in a triple-quoted literal");
        }
    }

    private static List<int> CodePoints(JsonElement element) => [.. element.EnumerateArray().Select(e => e.GetInt32())];

    private static List<int> CodePoints(string value)
    {
        var points = new List<int>();
        for (var i = 0; i < value.Length; i++)
        {
            var pair = char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
            points.Add(pair ? char.ConvertToUtf32(value[i], value[++i]) : value[i]);
        }

        return points;
    }

    private async Task<JsonElement> ExecAsync(string config, params string[] loaderArguments)
    {
        var file = Path.Combine(directory, $"{Guid.NewGuid():N}.cfg");
        await File.WriteAllTextAsync(file, config);
        var result = await new ProcessRunner().RunCapturedAsync(
            new ProcessSpec("python3", ["-c", Loader, file, .. loaderArguments]) { Timeout = TimeSpan.FromSeconds(60) });
        result.ExitCode.Should().Be(0, "python3 should load the config; stderr: {0}\nconfig:\n{1}", result.StandardError, config);
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }
}
