using Albs.Modules.Builds.Sources;

namespace Albs.Tests.Builds;

public sealed class GitUrlTests
{
    [Theory]
    [InlineData("https://git.almalinux.org/rpms/bash.git")]
    [InlineData("http://127.0.0.1:8080/bash.git")]
    [InlineData("git://git.example.org/rpms/bash")]
    [InlineData("ssh://git@git.example.org/rpms/bash.git")]
    public void Network_repositories_are_accepted(string url) =>
        GitUrl.Validate(url, allowFile: false).Should().BeNull();

    [Theory]
    [InlineData("ext::sh -c touch% /tmp/pwned", "spaces")]
    [InlineData("ext::sh", "remote helpers")]
    [InlineData("fd::17", "remote helpers")]
    [InlineData("--upload-pack=touch /tmp/x", "cannot start with '-'")]
    [InlineData("-oProxyCommand=touch /tmp/x", "cannot start with '-'")]
    [InlineData("ssh://-oProxyCommand=touch/x", "must be absolute")]
    [InlineData("file:///etc", "scheme must be one of")]
    [InlineData("/srv/git/bash.git", "scheme must be one of")]
    [InlineData("ftp://example.org/x.git", "scheme must be one of")]
    [InlineData("https://example.org/a b.git", "spaces")]
    [InlineData("https://example.org/x\n.git", "control characters")]
    [InlineData("relative/path", "absolute")]
    public void Dangerous_or_unsupported_urls_are_refused(string url, string reason)
    {
        var error = GitUrl.Validate(url, allowFile: false);
        error.Should().NotBeNull();
        error.Should().Contain(reason);
    }

    [Fact]
    public void File_urls_need_the_setting() =>
        GitUrl.Validate("file:///srv/git/bash.git", allowFile: true).Should().BeNull();
}
