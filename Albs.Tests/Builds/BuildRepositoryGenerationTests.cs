using System.Security.Cryptography;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Repositories;
using Albs.Modules.Common.Processes;
using Albs.Modules.Common.Storage;
using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Builds;

/// <summary>
/// Repository generation below the web layer: small real RPMs in the real content store, build
/// rows written directly (as the executor would after a task), the real createrepo_c.
/// </summary>
public sealed class BuildRepositoryGenerationTests(SmallRpms rpms) : IClassFixture<SmallRpms>, IAsyncLifetime
{
    private const string Platform = "Demo-1";
    private readonly TestDatabase database = TestDatabase.Sqlite();
    private ModuleHost host = null!;

    private BuildRepositories Repositories => host.Services.GetRequiredService<BuildRepositories>();

    public async Task InitializeAsync() =>
        host = await ModuleHost.StartAsync(database, services => services
            .AddSingleton<IPlatformCatalog, PlatformStore>()
            .AddSingleton<RepositoryGenerator>()
            .AddSingleton<BuildRepositories>());

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        database.Dispose();
    }

    [Fact]
    public async Task A_repository_is_generated_again_only_when_its_packages_change()
    {
        var build = await NewBuildAsync();
        await AddTaskAsync(build, "x86_64", BuildStatus.Completed, rpms.Alpha, rpms.Beta);
        var running = await AddTaskAsync(build, "x86_64", BuildStatus.Started);

        var first = await EnsureAsync(build, "x86_64");
        (await NevrasAsync(first)).Should().BeEquivalentTo("alpha-1.0-1.x86_64", "beta-1.0-1.noarch");
        (await EnsureAsync(build, "x86_64")).Should().Be(first, "nothing changed, so nothing is generated");
        Generations(build, "x86_64").Should().Equal(first);
        (await InodeAsync(Path.Combine(first, Path.GetFileName(rpms.Alpha))))
            .Should().Be(await InodeAsync(Store.PathOf(Sha256(rpms.Alpha))), "packages are hard links into the content store");

        await CompleteAsync(running, rpms.Gamma);
        var second = await EnsureAsync(build, "x86_64");
        second.Should().NotBe(first);
        (await NevrasAsync(second)).Should().BeEquivalentTo("alpha-1.0-1.x86_64", "beta-1.0-1.noarch", "gamma-1.0-1.x86_64");
        Generations(build, "x86_64").Should().BeEquivalentTo([first, second], "a client that read the old repomd.xml can still fetch what it names");

        // Same file name, other content (as after a rebuild): the metadata must follow the content.
        await ReplaceContentAsync(running, rpms.GammaRebuilt);
        var third = await EnsureAsync(build, "x86_64");
        third.Should().NotBe(second);
        (await RepositoryMetadata.ReadAsync(href => File.ReadAllBytesAsync(Path.Combine(third, href))))
            .Single(p => p.Name == "gamma").Sha256.Should().Be(Sha256(rpms.GammaRebuilt));
    }

    [Fact]
    public async Task Concurrent_requests_for_one_repository_wait_for_a_single_generation()
    {
        var build = await NewBuildAsync();
        await AddTaskAsync(build, "x86_64", BuildStatus.Completed, rpms.Alpha, rpms.Beta, rpms.Gamma);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => EnsureAsync(build, "x86_64"))));

        results.Distinct().Should().ContainSingle();
        Generations(build, "x86_64").Should().Equal(results[0]);
        (await NevrasAsync(results[0])).Should().HaveCount(3);
    }

    [Fact]
    public async Task Noarch_packages_reach_every_arch_of_their_platform_and_srpms_only_the_src_repository()
    {
        var build = await NewBuildAsync();
        await AddTaskAsync(build, "src", BuildStatus.Completed, rpms.AlphaSource);
        await AddTaskAsync(build, "x86_64", BuildStatus.Completed, rpms.Alpha, rpms.Beta);
        await AddTaskAsync(build, "aarch64", BuildStatus.Completed, rpms.Delta);

        (await NevrasAsync(await EnsureAsync(build, "x86_64"))).Should().BeEquivalentTo("alpha-1.0-1.x86_64", "beta-1.0-1.noarch");
        (await NevrasAsync(await EnsureAsync(build, "aarch64"))).Should().BeEquivalentTo("beta-1.0-1.noarch", "delta-1.0-1.aarch64");
        (await NevrasAsync(await EnsureAsync(build, "src"))).Should().BeEquivalentTo("alpha-1.0-1.src");
        (await Repositories.ListAsync(build, CancellationToken.None))!.Select(r => (r.Arch, r.PackageCount))
            .Should().Equal(("aarch64", 2), ("x86_64", 2), ("src", 1));

        (await Repositories.EnsureAsync(build, Platform, "ppc64le", CancellationToken.None)).Should().BeNull("the build has no ppc64le task");
        (await Repositories.EnsureAsync(build + 1, Platform, "x86_64", CancellationToken.None)).Should().BeNull("there is no such build");
        (await Repositories.EnsureAsync(build, "..", "x86_64", CancellationToken.None)).Should().BeNull();
        (await Repositories.ListAsync(build + 1, CancellationToken.None)).Should().BeNull();
    }

    [Fact]
    public async Task A_failed_generation_publishes_nothing_and_leaves_nothing_behind()
    {
        var build = await NewBuildAsync();
        var task = await AddTaskAsync(build, "x86_64", BuildStatus.Completed, rpms.Alpha);
        var missing = Convert.ToHexStringLower(SHA256.HashData("not stored"u8));
        await host.WithDbAsync(async db =>
        {
            db.Add(new BuildArtifact { TaskId = task, Name = "lost-1.0-1.x86_64.rpm", Type = "rpm", Size = 10, Sha256 = missing, CreatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });

        await FluentActions.Awaiting(() => EnsureAsync(build, "x86_64")).Should().ThrowAsync<InvalidOperationException>()
            .WithMessage("lost-1.0-1.x86_64.rpm (sha256 *) is missing from the content store*");
        Directory.EnumerateFileSystemEntries(RepositoryPath(build, "x86_64")).Should().BeEmpty("no current generation, no leftover work");

        await host.WithDbAsync(db => db.Set<BuildArtifact>().Where(a => a.Sha256 == missing).ExecuteDeleteAsync());
        (await NevrasAsync(await EnsureAsync(build, "x86_64"))).Should().Equal("alpha-1.0-1.x86_64");
    }

    [Fact]
    public void An_arch_keeps_its_own_build_of_a_noarch_package_and_unsafe_names_are_left_out()
    {
        StoredPackage Rpm(long task, string arch, string name, char sha) => new(task, Platform, arch, "rpm", name, new string(sha, 64));
        var packages = new[]
        {
            Rpm(1, "x86_64", "common-1-1.noarch.rpm", 'a'),
            Rpm(2, "aarch64", "common-1-1.noarch.rpm", 'b'),
            Rpm(1, "x86_64", "tool-1-1.x86_64.rpm", 'c'),
            Rpm(1, "x86_64", "..evil.rpm", 'd'),
            Rpm(1, "x86_64", ".hidden.noarch.rpm", 'e'),
            Rpm(1, "x86_64", "notes.txt", 'f'),
            new StoredPackage(1, "Other-1", "x86_64", "rpm", "elsewhere-1-1.noarch.rpm", new string('9', 64)),
            new StoredPackage(3, Platform, "src", "srpm", "tool-1-1.src.rpm", new string('0', 64)),
        };

        RepositoryContent.Select(packages, Platform, "x86_64").Should().Equal(new RepositoryPackage("common-1-1.noarch.rpm", new string('a', 64)), new RepositoryPackage("tool-1-1.x86_64.rpm", new string('c', 64)));
        RepositoryContent.Select(packages, Platform, "aarch64").Should().Equal(new RepositoryPackage("common-1-1.noarch.rpm", new string('b', 64)));
        RepositoryContent.Select(packages, Platform, "ppc64le").Should().Equal(new RepositoryPackage("common-1-1.noarch.rpm", new string('a', 64)));
        RepositoryContent.Select(packages, Platform, "src").Should().Equal(new RepositoryPackage("tool-1-1.src.rpm", new string('0', 64)));
        RepositoryContent.Fingerprint(RepositoryContent.Select(packages, Platform, "x86_64"))
            .Should().NotBe(RepositoryContent.Fingerprint(RepositoryContent.Select(packages, Platform, "aarch64")));
    }

    private ContentStore Store => host.Services.GetRequiredService<ContentStore>();

    private async Task<string> EnsureAsync(long build, string arch) =>
        (await Repositories.EnsureAsync(build, Platform, arch, CancellationToken.None))!;

    private string RepositoryPath(long build, string arch) =>
        Path.Combine(database.DataDirectory, "repos", "builds", build.ToString(System.Globalization.CultureInfo.InvariantCulture), Platform, arch);

    private List<string> Generations(long build, string arch) =>
        [.. Directory.EnumerateDirectories(RepositoryPath(build, arch), "gen-*")];

    private static async Task<List<string>> NevrasAsync(string generation) =>
        [.. (await RepositoryMetadata.ReadAsync(href => File.ReadAllBytesAsync(Path.Combine(generation, href)))).Select(p => $"{p.Name}-{p.Evr}.{p.Arch}")];

    private static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    private static async Task<string> InodeAsync(string path)
    {
        var result = await new ProcessRunner().RunCapturedAsync(new ProcessSpec("stat", ["--format=%i", "--", path]));
        result.Succeeded.Should().BeTrue(result.StandardError);
        return result.StandardOutput.Trim();
    }

    private Task<long> NewBuildAsync() => host.WithDbAsync(async db =>
    {
        var build = new Build { CreatedById = "u1", CreatedByName = "tester", CreatedAt = DateTime.UtcNow };
        build.Sources.Add(new BuildSource { Kind = "git", Url = "file:///srv/git/pkg.git", Package = "pkg" });
        db.Add(build);
        await db.SaveChangesAsync();
        return build.Id;
    });

    private async Task<long> AddTaskAsync(long build, string arch, string status, params string[] files)
    {
        var artifacts = await StoreAllAsync(files);
        return await host.WithDbAsync(async db =>
        {
            var source = await db.Set<BuildSource>().Where(s => s.BuildId == build).Select(s => s.Id).SingleAsync();
            var task = new BuildTask { BuildId = build, SourceId = source, Platform = Platform, Arch = arch, Status = status, Submitter = "tester", CreatedAt = DateTime.UtcNow };
            task.Artifacts.AddRange(artifacts);
            db.Add(task);
            await db.SaveChangesAsync();
            return task.Id;
        });
    }

    private async Task CompleteAsync(long taskId, params string[] files)
    {
        var artifacts = await StoreAllAsync(files);
        await host.WithDbAsync(async db =>
        {
            var task = await db.Set<BuildTask>().SingleAsync(t => t.Id == taskId);
            task.Status = BuildStatus.Completed;
            task.Artifacts.AddRange(artifacts);
            return await db.SaveChangesAsync();
        });
    }

    private async Task ReplaceContentAsync(long taskId, string file)
    {
        var replacement = (await StoreAllAsync([file])).Single();
        await host.WithDbAsync(db => db.Set<BuildArtifact>().Where(a => a.TaskId == taskId && a.Name == replacement.Name)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Sha256, replacement.Sha256)));
    }

    private async Task<List<BuildArtifact>> StoreAllAsync(IEnumerable<string> files)
    {
        var artifacts = new List<BuildArtifact>();
        foreach (var file in files)
        {
            var sha = Sha256(file);
            var copy = Path.Combine(database.DataDirectory, $"incoming-{Guid.NewGuid():N}");
            File.Copy(file, copy);
            await Store.AddAsync(copy, sha, CancellationToken.None);
            var name = Path.GetFileName(file);
            artifacts.Add(new BuildArtifact
            {
                Name = name,
                Type = name.EndsWith(".src.rpm", StringComparison.Ordinal) ? "srpm" : "rpm",
                Size = new FileInfo(file).Length,
                Sha256 = sha,
                CreatedAt = DateTime.UtcNow,
            });
        }

        return artifacts;
    }
}

/// <summary>Small real packages built once per test class by rpmbuild: one file each, nothing to compile.</summary>
public sealed class SmallRpms : IAsyncLifetime
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("albs-small-rpms-");

    public string Alpha { get; private set; } = "";

    public string AlphaSource { get; private set; } = "";

    public string Beta { get; private set; } = "";

    public string Gamma { get; private set; } = "";

    /// <summary>Same name as <see cref="Gamma"/>, other content.</summary>
    public string GammaRebuilt { get; private set; } = "";

    public string Delta { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Alpha = await BuildAsync("alpha", "x86_64", "a");
        AlphaSource = await BuildAsync("alpha", "x86_64", "a", source: true);
        Beta = await BuildAsync("beta", "noarch", "b");
        Gamma = await BuildAsync("gamma", "x86_64", "g");
        GammaRebuilt = await BuildAsync("gamma", "x86_64", "g, rebuilt");
        Delta = await BuildAsync("delta", "aarch64", "d");
    }

    public Task DisposeAsync()
    {
        root.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private async Task<string> BuildAsync(string name, string arch, string payload, bool source = false)
    {
        var top = root.CreateSubdirectory(Guid.NewGuid().ToString("N")).FullName;
        var spec = Path.Combine(top, $"{name}.spec");
        await File.WriteAllTextAsync(spec, $$"""
            Name: {{name}}
            Version: 1.0
            Release: 1
            Summary: {{name}} for repository tests
            License: MIT
            {{(arch == "noarch" ? "BuildArch: noarch" : "")}}

            %description
            {{payload}}

            %install
            mkdir -p %{buildroot}/usr/share/{{name}}
            echo '{{payload}}' > %{buildroot}/usr/share/{{name}}/payload

            %files
            /usr/share/{{name}}/payload

            """);
        var target = arch == "noarch" ? "x86_64" : arch;
        var result = await new ProcessRunner().RunCapturedAsync(new ProcessSpec("rpmbuild",
            [source ? "-bs" : "-bb", "--target", target, "--define", $"_topdir {top}", "--define", "debug_package %{nil}", "--", spec])
        { Timeout = TimeSpan.FromMinutes(2) });
        result.Succeeded.Should().BeTrue(result.StandardError);
        return Directory.EnumerateFiles(top, "*.rpm", SearchOption.AllDirectories).Single();
    }
}
