using Albs.Modules.Builds.Lookaside;

namespace Albs.Tests.Builds;

/// <summary><c>Builds:LookasideUrl</c>: validation and expansion with escaped values.</summary>
public sealed class LookasideUrlTemplateTests
{
    private const string Fedora = "https://src.fedoraproject.org/repo/pkgs/{name}/{filename}/{hashtype}/{hash}/{filename}";

    [Fact]
    public void Fedora_and_AlmaLinux_layouts_expand_to_their_urls()
    {
        LookasideUrlTemplate.Expand(Fedora, "bash", "bash-5.2.tar.gz", "sha512", "ab12").AbsoluteUri
            .Should().Be("https://src.fedoraproject.org/repo/pkgs/bash/bash-5.2.tar.gz/sha512/ab12/bash-5.2.tar.gz");
        LookasideUrlTemplate.Expand("https://sources.almalinux.org/{hash}", "bash", "bash-5.2.tar.gz", "sha1", "cd34").AbsoluteUri
            .Should().Be("https://sources.almalinux.org/cd34");
    }

    [Fact]
    public void Values_are_escaped_so_they_stay_inside_their_path_segment()
    {
        var uri = LookasideUrlTemplate.Expand(Fedora, "libstdc++", "../../x?y#z {hash}", "sha256", "a/b");

        uri.AbsoluteUri.Should().Be("https://src.fedoraproject.org/repo/pkgs/libstdc%2B%2B/..%2F..%2Fx%3Fy%23z%20%7Bhash%7D/sha256/a%2Fb/..%2F..%2Fx%3Fy%23z%20%7Bhash%7D");
        uri.Host.Should().Be("src.fedoraproject.org");
        uri.Query.Should().BeEmpty();
        uri.Fragment.Should().BeEmpty();
    }

    [Fact]
    public void Credentials_in_the_url_are_not_shown_in_logs() =>
        LookasideUrlTemplate.Display(LookasideUrlTemplate.Expand("https://user:secret@lookaside.example.org/{hash}?k=1", "a", "b", "md5", "c"))
            .Should().Be("https://lookaside.example.org/c?k=1");

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(Fedora)]
    [InlineData("http://127.0.0.1:8080/lookaside/{name}/{filename}/{hashtype}/{hash}/{filename}")]
    [InlineData("https://sources.almalinux.org/{hash}")]
    public void Usable_templates_pass(string? template) => LookasideUrlTemplate.Validate(template).Should().BeNull();

    [Theory]
    [InlineData("https://sources.almalinux.org/", "*must contain {hash}")]
    [InlineData("https://x.org/{hash}/{package}", "*may only use the placeholders*")]
    [InlineData("https://x.org/{hash}/{name", "*may only use the placeholders*")]
    [InlineData("ftp://x.org/{hash}", "*absolute http or https URL")]
    [InlineData("file:///srv/lookaside/{hash}", "*absolute http or https URL")]
    [InlineData("/lookaside/{hash}", "*absolute http or https URL")]
    [InlineData("{hash}", "*absolute http or https URL")]
    public void Unusable_templates_are_refused(string template, string reason) =>
        LookasideUrlTemplate.Validate(template).Should().Match(reason);
}
