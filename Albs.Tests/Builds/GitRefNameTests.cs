using System.Text;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Builds;

public sealed class GitRefNameTests
{
    [Theory]
    [InlineData("main")]
    [InlineData("c9")]
    [InlineData("a9-beta")]
    [InlineData("imports/c9/bash-5.1.8-9.el9")]
    [InlineData("v1.2.3")]
    [InlineData("refs/tags/v1")]
    [InlineData("0123456789abcdef0123456789abcdef01234567")]
    public void Ordinary_branches_tags_and_commits_are_valid(string name) =>
        GitRefName.Validate(name).Should().BeNull();

    [Theory]
    [InlineData("main;touch /tmp/x", "cannot contain ';'")]
    [InlineData("--upload-pack=touch /tmp/x", "cannot start with '-'")]
    [InlineData("-main", "cannot start with '-'")]
    [InlineData("$(id)", "cannot contain '$'")]
    [InlineData("`id`", "cannot contain '`'")]
    [InlineData("x;y", "cannot contain ';'")]
    [InlineData("a..b", "'..'")]
    [InlineData("../etc/passwd", "'..'")]
    [InlineData("x@{1}", "'@{'")]
    [InlineData("@", "'@' is not a ref")]
    [InlineData("a/.hidden", "start with '.'")]
    [InlineData("a.lock", "end with '.lock'")]
    [InlineData("a\nb", "printable")]
    [InlineData("", "required")]
    [InlineData("héllo", "printable ASCII")]
    public void Hostile_or_malformed_refs_are_refused_with_a_reason(string name, string reason)
    {
        var error = GitRefName.Validate(name);
        error.Should().NotBeNull();
        error.Should().Contain(reason);
    }

    [Fact]
    public async Task Every_ref_accepted_is_also_accepted_by_git_check_ref_format()
    {
        // Property test against the real git: we may be stricter than git, never looser.
        var random = new Random(20261122);
        const string alphabet = "abcXYZ019-_./@{}~^:?*[\\ $;`'\"!#%&()+,<=>|";
        var runner = new ProcessRunner();
        var accepted = 0;
        for (var i = 0; i < 1500; i++)
        {
            var builder = new StringBuilder();
            var length = random.Next(1, 12);
            for (var j = 0; j < length; j++)
            {
                builder.Append(alphabet[random.Next(alphabet.Length)]);
            }

            var name = builder.ToString();
            if (GitRefName.Validate(name) is not null)
            {
                continue;
            }

            accepted++;
            var git = await runner.RunAsync(new ProcessSpec("git", ["check-ref-format", "--allow-onelevel", name]));
            git.ExitCode.Should().Be(0, $"git must accept '{name}' too");
        }

        accepted.Should().BeGreaterThan(100, "the generator must produce enough valid names to mean something");
    }
}
