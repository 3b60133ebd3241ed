using System.Security.Cryptography;
using Albs.Modules.Builds.Contracts;

namespace Albs.Tests.Builds;

/// <summary>Builds of real specs from real git repositories on a real sshd agent with rpmbuild.</summary>
public sealed class BuildExecutionTests : BuildAgentTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterAgentAsync("builder1");
    }

    private async Task<BuildResponse> SubmitAndWaitAsync(SubmitBuildRequest request) => await WaitForEndAsync((await SubmitAsync(request)).Id);

    [Fact]
    public async Task A_c_package_with_a_subpackage_and_check_builds_from_git_into_verified_rpms()
    {
        var build = await SubmitAndWaitAsync(new SubmitBuildRequest(
            [new BuildPlatformRequest("Demo-1", ["x86_64"])],
            [new BuildSourceRequest(Hello.Url, "main")],
            Product: "demo"));

        build.Status.Should().Be("completed", string.Join("; ", build.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        var srpmTask = build.Tasks.Single(t => t.Arch == "src");
        srpmTask.Agent.Should().Be("builder1");
        srpmTask.Attempt.Should().Be(1);
        srpmTask.Artifacts.Should().ContainSingle(a => a.Type == "srpm" && a.Name == "hello-1.0-1.demo1.src.rpm" && a.Nevra == "hello-1.0-1.demo1.src");

        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        x86.Status.Should().Be("completed");
        x86.Artifacts.Select(a => a.Name).Should().BeEquivalentTo(["hello-1.0-1.demo1.x86_64.rpm", "hello-devel-1.0-1.demo1.x86_64.rpm", "mock.cfg"]);
        x86.Artifacts.Should().OnlyContain(a => (a.Type == "rpm" || (a.Type == "config" && a.Name == "mock.cfg")) && a.Size > 0);
        x86.Artifacts.Single(a => a.Name.StartsWith("hello-devel", StringComparison.Ordinal)).Nevra.Should().Be("hello-devel-1.0-1.demo1.x86_64");

        // Stored content-addressed and verified: the stored file hashes to the recorded sha256.
        foreach (var artifact in srpmTask.Artifacts.Concat(x86.Artifacts))
        {
            var stored = Path.Combine(Database.DataDirectory, "sha256", artifact.Sha256[..2], artifact.Sha256[2..]);
            Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(stored))).Should().Be(artifact.Sha256);
        }

        var log = await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log");
        log.Should().Contain("%check").And.Contain("task completed");
        var config = await App.Client().GetAsync(x86.Artifacts.Single(a => a.Name == "mock.cfg").Url);
        config.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        (await config.Content.ReadAsStringAsync()).Should().Contain("config_opts['target_arch'] = 'x86_64'", "the generated mock configuration is kept with the task");
    }

    [Fact]
    public async Task A_failing_spec_fails_with_its_error_in_the_log_and_fails_nothing_else_silently()
    {
        await Hello.CommitAsync("break the build", ("hello.c", "this is not C\n"));
        var build = await SubmitAndWaitAsync(new SubmitBuildRequest(
            [new BuildPlatformRequest("Demo-1", ["x86_64"])],
            [new BuildSourceRequest(Hello.Url, "main")],
            Product: "demo"));

        build.Status.Should().Be("failed");
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        x86.Status.Should().Be("failed");
        x86.Error.Should().Be("rpmbuild --rebuild exited with code 1");
        x86.Artifacts.Should().BeEmpty("a failed task publishes nothing");
        var log = await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log");
        log.Should().Contain("error:");
    }

    [Fact]
    public async Task A_broken_srpm_fails_its_arch_tasks_with_a_clear_reason()
    {
        await Hello.CommitAsync("no spec", ("hello.spec", ""));
        await Hello.GitAsync("rm", "-q", "hello.spec");
        await Hello.CommitAsync("remove spec");
        var build = await SubmitAndWaitAsync(new SubmitBuildRequest(
            [new BuildPlatformRequest("Demo-1", ["x86_64"])],
            [new BuildSourceRequest(Hello.Url, "main")],
            Product: "demo"));

        build.Status.Should().Be("failed");
        build.Tasks.Single(t => t.Arch == "src").Error.Should().Be("rpmbuild -bs exited with code 2");
        build.Tasks.Single(t => t.Arch == "x86_64").Error.Should().Be("the SRPM task of this source failed");
    }

    [Fact]
    public async Task An_arch_outside_ExclusiveArch_is_excluded_not_failed()
    {
        await Hello.CommitAsync("only aarch64", ("hello.spec", Fixture("hello.spec").Replace("License: MIT", "License: MIT\nExclusiveArch: aarch64", StringComparison.Ordinal)));
        var build = await SubmitAndWaitAsync(new SubmitBuildRequest([new BuildPlatformRequest("Demo-1", ["x86_64"])], [new BuildSourceRequest(Hello.Url, "main")], Product: "demo"));

        build.Status.Should().Be("completed");
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        x86.Status.Should().Be("excluded");
        x86.Error.Should().Be("ExclusiveArch: aarch64");
        x86.Attempt.Should().Be(0, "an excluded task never runs");
    }

    [Fact]
    public async Task A_noarch_package_is_built_once_on_the_platforms_noarch_arch()
    {
        var spec = Fixture("hello.spec")
            .Replace("License: MIT", "License: MIT\nBuildArch: noarch", StringComparison.Ordinal)
            .Replace("gcc -O2 -o hello hello.c", "printf '#!/bin/sh\\necho hello from albs\\n' > hello; chmod +x hello", StringComparison.Ordinal);
        await Hello.CommitAsync("noarch", ("hello.spec", spec));
        var build = await SubmitAndWaitAsync(new SubmitBuildRequest([new BuildPlatformRequest("Demo-1", ["x86_64"])], [new BuildSourceRequest(Hello.Url, "main")], Product: "demo"));

        build.Status.Should().Be("completed", string.Join("; ", build.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        build.Tasks.Single(t => t.Arch == "x86_64").Artifacts.Where(a => a.Type == "rpm").Select(a => a.Name)
            .Should().BeEquivalentTo(["hello-1.0-1.demo1.noarch.rpm", "hello-devel-1.0-1.demo1.noarch.rpm"]);
    }

    [Fact]
    public async Task Logs_and_artifacts_are_served_to_anyone_with_ranges_and_hostile_names_find_nothing()
    {
        var build = await SubmitAndWaitAsync(Demo(Hello.Url));
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        x86.Logs.Should().Equal("build.1.log");
        var anonymous = App.Client();

        var log = await anonymous.GetAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log");
        log.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        (await log.Content.ReadAsStringAsync()).Should().Contain("%check");

        var range = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log");
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 4);
        var partial = await anonymous.SendAsync(range);
        partial.StatusCode.Should().Be(System.Net.HttpStatusCode.PartialContent);
        (await partial.Content.ReadAsStringAsync()).Should().Be("albs:");

        foreach (var artifact in x86.Artifacts)
        {
            var bytes = await anonymous.GetByteArrayAsync(artifact.Url);
            Convert.ToHexStringLower(SHA256.HashData(bytes)).Should().Be(artifact.Sha256);
        }

        var srpm = build.Tasks.Single(t => t.Arch == "src").Artifacts.Single(a => a.Type == "srpm");
        foreach (var hostile in new[]
        {
            $"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/..%2F..%2F..%2Fkeys",
            $"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log%2F..%2F..%2Fbuild.1.log",
            $"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
            $"/api/v1/builds/{build.Id}/tasks/{x86.Id}/artifacts/..%2F..%2Fkeys",
            $"/api/v1/builds/{build.Id}/tasks/{x86.Id}/artifacts/{srpm.Name}",
            $"/api/v1/builds/{build.Id + 1}/tasks/{x86.Id}/logs/build.1.log",
        })
        {
            (await anonymous.GetAsync(hostile)).StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound, hostile);
        }
    }
}
