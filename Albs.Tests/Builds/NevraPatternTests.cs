using Albs.Modules.Builds.Contracts;

namespace Albs.Tests.Builds;

/// <summary>The build list's <c>nevra</c> filter: which forms are read how, and what is refused.</summary>
public sealed class NevraPatternTests
{
    [Fact]
    public void A_full_nevra_is_read_with_and_without_its_arch()
    {
        Parse("bash-5.1.8-9.el9.x86_64").Should().Equal(
            new NevraAlternative("bash", null, "5.1.8", "9.el9.x86_64", null),
            new NevraAlternative("bash", null, "5.1.8", "9.el9", "x86_64"));
    }

    [Fact]
    public void Without_an_arch_the_last_dot_part_is_tried_as_an_arch_too()
    {
        Parse("bash-5.1.8-9.el9").Should().Equal(
            new NevraAlternative("bash", null, "5.1.8", "9.el9", null),
            new NevraAlternative("bash", null, "5.1.8", "9", "el9"));
        Parse("hello-1.0-1").Should().Equal(new NevraAlternative("hello", null, "1.0", "1", null));
    }

    [Fact]
    public void Names_with_dashes_and_epochs_are_split_at_the_last_two_dashes()
    {
        Parse("python3-dnf-plugins-core-2:4.3.0-13.el9.noarch").Should().Contain(
            new NevraAlternative("python3-dnf-plugins-core", 2, "4.3.0", "13.el9", "noarch"));
        Parse("perl-Foo-0:1.2-3.src").Should().Contain(new NevraAlternative("perl-Foo", 0, "1.2", "3", "src"));
    }

    [Fact]
    public void A_file_name_has_an_arch_and_matches_any_epoch()
    {
        Parse("bash-5.1.8-9.el9.x86_64.rpm").Should().Equal(new NevraAlternative("bash", null, "5.1.8", "9.el9", "x86_64"));
        Parse(" hello-1.0-1.el9.src.rpm ").Should().Equal(new NevraAlternative("hello", null, "1.0", "1.el9", "src"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bash")]
    [InlineData("bash-5.1")]
    [InlineData("-5.1-1")]
    [InlineData("bash-5.1-")]
    [InlineData("bash--1")]
    [InlineData("bash-x:5.1-1")]
    [InlineData("bash-1:2:5.1-1")]
    [InlineData("bash 5.1-1")]
    [InlineData("bash-5.1-1*")]
    [InlineData("bash-5.1-1.%")]
    [InlineData("../bash-5.1-1.x86_64")]
    [InlineData("bash-1:5.1-1.x86_64.rpm")]
    [InlineData("bash-5.1-1.rpm")]
    public void Anything_else_is_refused_with_a_message(string text)
    {
        NevraPattern.TryParse(text, out var pattern, out var error).Should().BeFalse();
        pattern.Should().BeNull();
        error.Should().MatchRegex("NEVRA|file name");
    }

    [Fact]
    public void A_too_long_filter_is_refused()
    {
        NevraPattern.TryParse("a-1-" + new string('1', NevraPattern.MaxLength), out _, out var error).Should().BeFalse();
        error.Should().Contain("512");
    }

    [Fact]
    public void A_stored_nevra_splits_into_its_columns()
    {
        NevraPattern.SplitStored("hello-1.0-1.el9.x86_64").Should().Be(new NevraAlternative("hello", null, "1.0", "1.el9", "x86_64"));
        NevraPattern.SplitStored("shim-x64-3:15.8-1.el9.src").Should().Be(new NevraAlternative("shim-x64", 3, "15.8", "1.el9", "src"));
        NevraPattern.SplitStored("nonsense").Should().BeNull();
        NevraPattern.SplitStored(null).Should().BeNull();
    }

    private static IReadOnlyList<NevraAlternative> Parse(string text)
    {
        NevraPattern.TryParse(text, out var pattern, out var error).Should().BeTrue(error);
        return pattern!.Alternatives;
    }
}
