using Albs.Modules.Platforms.Contracts;
using Albs.Modules.Platforms.MockConfig;

namespace Albs.Tests.Platforms;

public sealed class MockConfigGeneratorTests
{
    /// <summary>Breaks out of every kind of Python string literal and tries to run code.</summary>
    internal const string HostileValue = "x''' + __import__('os').system('touch /tmp/albs-pwned') + '''\n\"\"\"\\' \" \\\\ \r\t\u00e9\u2028\U0001F600 %{__import__('os')}";

    private static readonly MockConfigBuilder Builder = new();

    internal static RpmBuildOptions FeatureOptions { get; } = new(
        ["python3", "docs-extra"],
        ["check", "tests"],
        new Dictionary<string, string> { ["vendor"] = "Example Corp", ["_smp_mflags"] = "-j4" });

    internal static LinkedRepository[] LinkedBuild { get; } = [new("albs-build-42", "https://albs.example.org/repos/build-42/AlmaLinux-9-aarch64/")];

    [Fact]
    public void AlmaLinux_9_x86_64_plain() =>
        PlatformTestData.ShouldMatchExpected(
            Builder.BuildMockConfig(PlatformTestData.Definition("AlmaLinux-9"), "x86_64", RpmBuildOptions.None, []),
            "AlmaLinux-9.x86_64.cfg");

    [Fact]
    public void AlmaLinux_9_aarch64_with_options_and_a_linked_build() =>
        PlatformTestData.ShouldMatchExpected(
            Builder.BuildMockConfig(PlatformTestData.Definition("AlmaLinux-9"), "aarch64", FeatureOptions, LinkedBuild),
            "AlmaLinux-9.aarch64.options.cfg");

    [Fact]
    public void AlmaLinux_8_i686_uses_the_multilib_repositories() =>
        PlatformTestData.ShouldMatchExpected(
            Builder.BuildMockConfig(PlatformTestData.Definition("AlmaLinux-8"), "i686", RpmBuildOptions.None, []),
            "AlmaLinux-8.i686.cfg");

    [Fact]
    public void A_hostile_define_value_is_written_as_an_escaped_string() =>
        PlatformTestData.ShouldMatchExpected(
            Builder.BuildMockConfig(PlatformTestData.Definition("AlmaLinux-9"), "x86_64", Hostile(), []),
            "AlmaLinux-9.x86_64.hostile.cfg");

    [Fact]
    public void Every_generated_line_is_printable_ascii_and_the_hostile_value_stays_on_one_line()
    {
        var config = Builder.BuildMockConfig(PlatformTestData.Definition("AlmaLinux-9"), "x86_64", Hostile(), []);
        config.Should().MatchRegex(@"^[\x20-\x7e\n]*$");
        config.Split('\n').Should().ContainSingle(l => l.Contains("hostile", StringComparison.Ordinal))
            .Which.Should().StartWith("config_opts['macros']['%hostile'] = '").And.EndWith("'");
    }

    [Fact]
    public void Rpmbuild_defines_are_an_argument_list_in_the_configs_order()
    {
        var arguments = Builder.RpmbuildDefines(PlatformTestData.Definition("AlmaLinux-9"), FeatureOptions);
        arguments.Should().Equal(
            "--define", "dist .el9",
            "--define", "bugurl https://bugs.almalinux.org",
            "--define", "distribution AlmaLinux",
            "--define", "packager AlmaLinux Packaging Team <packager@almalinux.org>",
            "--define", "vendor AlmaLinux",
            "--define", "_with_python3 --with-python3",
            "--define", "_with_docs_extra --with-docs-extra",
            "--define", "_without_check --without-check",
            "--define", "_without_tests --without-tests",
            "--define", "_smp_mflags -j4",
            "--define", "vendor Example Corp");

        Builder.RpmbuildDefines(PlatformTestData.Definition("Demo-1"), Hostile())
            .Should().Contain("hostile " + HostileValue, "an argument list needs no quoting: the value arrives verbatim");
    }

    [Fact]
    public void The_demo_platform_renders_without_repositories()
    {
        var config = Builder.BuildMockConfig(PlatformTestData.Definition("Demo-1"), "x86_64", RpmBuildOptions.None, []);
        config.Should().Contain("config_opts['macros']['%dist'] = '.demo1'").And.Contain("config_opts['rpmbuild_timeout'] = 3600");
        config.Should().NotContain("baseurl=");
    }

    [Theory]
    [InlineData("with[0]", "bad name", null, null, null)]
    [InlineData("without[0]", null, "a'b", null, null)]
    [InlineData("defines", null, null, "%dist", "x")]
    [InlineData("defines", null, null, "1abc", "x")]
    [InlineData("defines.x", null, null, "x", "{{ config_opts }}")]
    [InlineData("defines.x", null, null, "x", "a{% if 1 %}b{% endif %}")]
    [InlineData("defines.x", null, null, "x", "{# comment #}")]
    [InlineData("defines.x", null, null, "x", "nul\0byte")]
    [InlineData("defines.x", null, null, "x", "")]
    public void Invalid_options_are_reported_per_field_and_refused(string field, string? with, string? without, string? define, string? value)
    {
        var options = new RpmBuildOptions(
            with is null ? [] : [with],
            without is null ? [] : [without],
            define is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [define] = value! });
        var platform = PlatformTestData.Definition("AlmaLinux-9");
        Builder.Validate(platform, options, []).Should().ContainKey(field);
        var build = () => Builder.BuildMockConfig(platform, "x86_64", options, []);
        build.Should().Throw<ArgumentException>().WithMessage($"*{field}*");
        var defines = () => Builder.RpmbuildDefines(platform, options);
        defines.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("repositories[0].name", "bad name", "https://example.org/")]
    [InlineData("repositories[0].name", "baseos", "https://example.org/")]
    [InlineData("repositories[0].url", "linked", "ftp://example.org/")]
    [InlineData("repositories[0].url", "linked", "https://example.org/\nsslverify=0")]
    [InlineData("repositories[0].url", "linked", "https://example.org/\"\"\"")]
    [InlineData("repositories[0].url", "linked", "/srv/repo")]
    public void Invalid_linked_repositories_are_refused(string field, string name, string url)
    {
        var platform = PlatformTestData.Definition("AlmaLinux-9");
        Builder.Validate(platform, RpmBuildOptions.None, [new(name, url)]).Should().ContainKey(field);
        var build = () => Builder.BuildMockConfig(platform, "x86_64", RpmBuildOptions.None, [new(name, url)]);
        build.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void The_same_name_in_with_and_without_and_an_arch_the_platform_lacks_are_refused()
    {
        var platform = PlatformTestData.Definition("AlmaLinux-10");
        Builder.Validate(platform, new(["tests"], ["tests"], new Dictionary<string, string>()), []).Should().ContainKey("without[0]");
        var build = () => Builder.BuildMockConfig(platform, "i686", RpmBuildOptions.None, []);
        build.Should().Throw<ArgumentException>().WithMessage("*'i686' is not an arch of platform AlmaLinux-10*");
    }

    internal static RpmBuildOptions Hostile() => new([], [], new Dictionary<string, string> { ["hostile"] = HostileValue });
}
