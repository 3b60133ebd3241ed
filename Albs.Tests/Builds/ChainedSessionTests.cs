using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Common.Processes;
using Albs.Modules.Platforms.Contracts;
using Albs.Tests.Agents;
using Albs.Tests.Support;

namespace Albs.Tests.Builds;

/// <summary>
/// An SRPM task's ssh session going on with one of its arch tasks on the same agent (ADR 0016), on a
/// real sshd agent that records every command and every rpmbuild run.
/// </summary>
public sealed partial class ChainedSessionTests : BuildAgentTest
{
    private SshAgentServer recording = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        recording = await SshAgentServer.StartAsync(recordCommands: true);
        (await App.AdminClient().PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(recording, "recorder"))).EnsureSuccessStatusCode();
        await AgentTestKit.WaitForStateAsync(App, "recorder", "online");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            recording?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    [Fact]
    public async Task The_srpm_tasks_session_goes_on_with_the_arch_task_with_a_log_of_its_own_and_leaves_nothing_behind()
    {
        var build = await WaitForEndAsync((await SubmitAsync(Demo(Hello.Url))).Id);

        build.Status.Should().Be("completed", string.Join("; ", build.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        var srpm = build.Tasks.Single(t => t.Arch == "src");
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        x86.Agent.Should().Be("recorder");
        x86.Attempt.Should().Be(1);
        x86.Artifacts.Select(a => a.Name).Should().BeEquivalentTo(["hello-1.0-1.demo1.x86_64.rpm", "hello-devel-1.0-1.demo1.x86_64.rpm", "mock.cfg"]);

        // One session for both tasks: the only command naming a task is the SRPM task's; the agent
        // ran rpmbuild twice, the rebuild in the arch task's own work directory.
        var taskCommands = recording.Commands().Where(c => !c.Command.StartsWith("'rm'", StringComparison.Ordinal) && TaskDirectory().IsMatch(c.Command)).ToList();
        taskCommands.Should().ContainSingle().Which.Command.Should().Contain($"/task-{srpm.Id}-1");
        var runs = recording.RpmbuildRuns();
        runs.Should().HaveCount(2);
        runs[0].Arguments.Should().StartWith("-bs ").And.Contain($"/task-{srpm.Id}-1/");
        runs[1].Arguments.Should().StartWith("--rebuild ").And.Contain($"/task-{x86.Id}-1/").And.Contain("--target x86_64");

        // Each task's log holds its own step: the switch happened between the two rpmbuild runs.
        var client = App.Client();
        var srpmLog = await client.GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{srpm.Id}/logs/build.1.log");
        var x86Log = await client.GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log");
        srpmLog.Should().Contain("Wrote:").And.Contain(".src.rpm").And.Contain("task completed").And.NotContain("%check").And.NotContain("albs-step");
        x86Log.Should().Contain($"in the session of SRPM task {srpm.Id}").And.Contain("rebuilding hello-1.0-1.demo1.src.rpm for x86_64")
            .And.Contain("%check").And.Contain("task completed").And.NotContain("building SRPM from");

        await Eventually.TrueAsync(() => Task.FromResult(Directory.GetFileSystemEntries(recording.WorkDirectory).All(e => !Path.GetFileName(e).StartsWith("task-", StringComparison.Ordinal))),
            "the tasks' work directories on the agent are removed");
        await Eventually.TrueAsync(() => Task.FromResult(Directory.GetFileSystemEntries(Path.Combine(Database.DataDirectory, "work")).Length == 0),
            "the server's scratch directories are removed");
    }

    [Fact]
    public async Task An_excluded_arch_is_not_built_in_the_srpm_tasks_session()
    {
        await Hello.CommitAsync("only aarch64", ("hello.spec", Fixture("hello.spec").Replace("License: MIT", "License: MIT\nExclusiveArch: aarch64", StringComparison.Ordinal)));
        var build = await WaitForEndAsync((await SubmitAsync(Demo(Hello.Url))).Id);

        build.Status.Should().Be("completed");
        build.Tasks.Single(t => t.Arch == "x86_64").Status.Should().Be("excluded");
        recording.RpmbuildRuns().Should().ContainSingle().Which.Arguments.Should().StartWith("-bs ");
    }

    [Fact]
    public async Task Without_going_on_in_the_session_each_task_has_a_session_of_its_own()
    {
        using var database = TestDatabase.Sqlite();
        using var app = new AlbsWebApp(database, new Dictionary<string, string?>(AgentTestKit.FastProbe)
        {
            ["Builds:AllowFileUrls"] = "true",
            ["Builds:ContinueInSession"] = "false",
        });
        await using var agent = await SshAgentServer.StartAsync(recordCommands: true);
        (await app.AdminClient().PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(agent, "separate"))).EnsureSuccessStatusCode();
        await AgentTestKit.WaitForStateAsync(app, "separate", "online");

        var submitted = await (await app.AdminClient().PostAsJsonAsync("/api/v1/builds", Demo(Hello.Url))).Content.ReadFromJsonAsync<BuildResponse>();
        BuildResponse build = null!;
        await Eventually.TrueAsync(
            async () => (build = (await app.Client().GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{submitted!.Id}"))!).Status is "completed" or "failed",
            "the build finishes",
            TimeSpan.FromMinutes(3));

        build.Status.Should().Be("completed", string.Join("; ", build.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        var named = agent.Commands().Where(c => !c.Command.StartsWith("'rm'", StringComparison.Ordinal))
            .Select(c => TaskDirectory().Match(c.Command)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        named.Should().BeEquivalentTo(build.Tasks.Select(t => t.Id), "each task ran in a session of its own");
    }

    [Fact]
    public async Task A_relative_agent_work_directory_is_taken_from_the_agent_users_home()
    {
        var relative = "albs-rel-" + Guid.NewGuid().ToString("N")[..8];
        var request = AgentTestKit.Request(recording, "relative") with { WorkDirectory = relative };
        (await App.AdminClient().PostAsJsonAsync("/api/v1/agents", request)).EnsureSuccessStatusCode();
        await AgentTestKit.WaitForStateAsync(App, "relative", "online");
        (await App.AdminClient().PutAsJsonAsync("/api/v1/agents/recorder", new UpdateAgentRequest(Maintenance: true))).EnsureSuccessStatusCode();
        try
        {
            var build = await WaitForEndAsync((await SubmitAsync(Demo(Hello.Url))).Id);

            build.Status.Should().Be("completed", string.Join("; ", build.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
            build.Tasks.Should().OnlyContain(t => t.Agent == "relative");
            recording.RpmbuildRuns().Should().HaveCount(2).And.OnlyContain(r => r.Arguments.Contains($"/{relative}/task-", StringComparison.Ordinal));
        }
        finally
        {
            // The agent removes the task directories after the outcome; the parent is this test's.
            var directory = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), relative);
            await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists(directory) || Directory.GetFileSystemEntries(directory).Length == 0), "the agent removed the task directories");
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_step_over_the_platforms_timeout_fails_and_its_processes_on_the_agent_are_killed()
    {
        const string marker = "sleep 3119";
        var platform = new PlatformRequest("Slow-1", "Albs Slow", "1", ["x86_64"], DistTag: ".slow1", TimeoutMinutes: 1);
        (await App.AdminClient().PostAsJsonAsync("/api/v1/platforms", platform)).EnsureSuccessStatusCode();
        await Hello.CommitAsync("slow build", ("hello.spec", Fixture("hello.spec").Replace("gcc -O2 -o hello hello.c", $"echo albs-build-started; {marker}", StringComparison.Ordinal)));

        var build = await WaitForEndAsync(
            (await SubmitAsync(Demo(Hello.Url) with { Platforms = [new BuildPlatformRequest("Slow-1", ["x86_64"])] })).Id,
            TimeSpan.FromMinutes(4));

        build.Status.Should().Be("failed");
        build.Tasks.Single(t => t.Arch == "src").Status.Should().Be("completed", "the SRPM step had its own minute");
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        x86.Error.Should().Be("rpmbuild --rebuild exceeded the platform's timeout");
        x86.Artifacts.Should().BeEmpty();
        (await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log")).Should().Contain("albs-build-started");
        await Eventually.TrueAsync(
            async () => (await new ProcessRunner().RunAsync(new ProcessSpec("pgrep", ["-f", marker]))).ExitCode != 0,
            "the timed-out build's processes on the agent are gone",
            TimeSpan.FromSeconds(30));
    }

    [GeneratedRegex(@"/task-(\d+)-\d+")]
    private static partial Regex TaskDirectory();
}
