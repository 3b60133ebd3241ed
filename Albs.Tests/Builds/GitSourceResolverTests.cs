using Albs.Modules.Builds.Sources;
using Albs.Modules.Common.Processes;
using Albs.Tests.Support;
using Microsoft.Extensions.Options;

namespace Albs.Tests.Builds;

/// <summary>Resolution of refs against a real git repository.</summary>
public sealed class GitSourceResolverTests : IAsyncLifetime
{
    private readonly ProcessRunner runner = new();
    private TestGitRepository repo = null!;
    private string url = "";
    private string root = "";
    private string mainCommit = "";
    private string firstCommit = "";

    public async Task InitializeAsync()
    {
        repo = await TestGitRepository.CreateAsync("bash");
        firstCommit = await repo.CommitAsync("first", ("bash.spec", "Name: bash\n"));
        await repo.GitAsync("tag", "-a", "-m", "release 1", "v1");
        await repo.GitAsync("tag", "light");
        mainCommit = await repo.CommitAsync("second", ("bash.spec", "Name: bash\nVersion: 2\n"));
        await repo.GitAsync("branch", "c9");
        url = repo.Url;
        root = Path.GetDirectoryName(repo.Directory)!;
    }

    public Task DisposeAsync()
    {
        repo.Dispose();
        return Task.CompletedTask;
    }

    private GitSourceResolver Resolver(bool allowFile = true) =>
        new(runner, Options.Create(new BuildSourceOptions { AllowFileUrls = allowFile }));

    [Theory]
    [InlineData("main")]
    [InlineData("c9")]
    [InlineData("refs/heads/main")]
    public async Task A_branch_resolves_to_its_current_commit(string gitRef)
    {
        var result = await Resolver().ResolveAsync(url, gitRef, CancellationToken.None);
        result.Error.Should().BeNull();
        result.Resolved!.Commit.Should().Be(mainCommit);
        result.Resolved.Kind.Should().Be(GitRefKind.Branch);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("light")]
    public async Task A_tag_resolves_to_the_commit_it_points_at(string tag)
    {
        var result = await Resolver().ResolveAsync(url, tag, CancellationToken.None);
        result.Resolved!.Commit.Should().Be(firstCommit, "annotated tags are peeled to their commit");
        result.Resolved.Kind.Should().Be(GitRefKind.Tag);
    }

    [Fact]
    public async Task A_full_commit_id_is_taken_as_given()
    {
        var result = await Resolver().ResolveAsync(url, firstCommit, CancellationToken.None);
        result.Resolved!.Kind.Should().Be(GitRefKind.Commit);
        result.Resolved.Commit.Should().Be(firstCommit);
    }

    [Fact]
    public async Task Missing_refs_abbreviated_commits_and_unreadable_repositories_are_clear_errors()
    {
        (await Resolver().ResolveAsync(url, "nope", CancellationToken.None)).Error.Should().Be("no branch or tag 'nope' in the repository");
        (await Resolver().ResolveAsync(url, firstCommit[..8], CancellationToken.None)).Error.Should().Contain("full 40-character id");
        (await Resolver().ResolveAsync(url + "-missing", "main", CancellationToken.None)).Error.Should().StartWith("cannot read the repository: fatal:");
    }

    [Fact]
    public async Task Hostile_refs_and_urls_are_refused_before_git_runs_and_nothing_is_executed()
    {
        var marker = Path.Combine(root, "PWNED");
        var cases = new (string Url, string Ref)[]
        {
            (url, $"main;touch {marker}"),
            (url, $"--upload-pack=touch {marker}"),
            (url, "$(touch PWNED)"),
            ($"ext::sh -c touch% {marker}", "main"),
            ($"--upload-pack=touch {marker}", "main"),
        };
        foreach (var (u, r) in cases)
        {
            (await Resolver().ResolveAsync(u, r, CancellationToken.None)).Error.Should().NotBeNull($"'{u}' '{r}' must be refused");
        }

        (await Resolver(allowFile: false).ResolveAsync(url, "main", CancellationToken.None)).Error.Should().Contain("scheme must be one of");
        File.Exists(marker).Should().BeFalse();
        File.Exists("PWNED").Should().BeFalse();
    }
}
