using Albs.Modules.Common.Processes;

namespace Albs.Tests.Support;

/// <summary>A real git repository in a temporary directory, built commit by commit by a test.</summary>
internal sealed class TestGitRepository : IDisposable
{
    private static readonly ProcessRunner Runner = new();

    private TestGitRepository(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>A <c>file://</c> URL of the repository (needs <c>Builds:AllowFileUrls</c>).</summary>
    public string Url => new Uri(Directory).AbsoluteUri;

    public static async Task<TestGitRepository> CreateAsync(string name)
    {
        var root = Path.Combine(Path.GetTempPath(), "albs-git-" + Guid.NewGuid().ToString("N")[..8], name);
        System.IO.Directory.CreateDirectory(root);
        var repo = new TestGitRepository(root);
        await repo.GitAsync("init", "-q", "-b", "main");
        return repo;
    }

    /// <summary>Writes the files and commits them; returns the commit id.</summary>
    public async Task<string> CommitAsync(string message, params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(Directory, path);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, content);
        }

        await GitAsync("add", "-A");
        await GitAsync("commit", "-q", "--allow-empty", "-m", message);
        return (await GitAsync("rev-parse", "HEAD")).Trim();
    }

    public async Task<string> GitAsync(params string[] args)
    {
        var result = await Runner.RunCapturedAsync(new ProcessSpec("git", ["-c", "user.name=Albs Test", "-c", "user.email=test@example.org", .. args]) { WorkingDirectory = Directory });
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {result.StandardError}");
        }

        return result.StandardOutput;
    }

    public void Dispose()
    {
        var root = Path.GetDirectoryName(Directory)!;
        if (System.IO.Directory.Exists(root))
        {
            System.IO.Directory.Delete(root, recursive: true);
        }
    }
}
