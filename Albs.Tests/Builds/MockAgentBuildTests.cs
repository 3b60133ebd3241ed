using System.Text.Json;
using Albs.Modules.Builds.Contracts;

namespace Albs.Tests.Builds;

/// <summary>
/// An agent that has mock builds with it, from the configuration generated for each task; one without
/// builds with rpmbuild (every other build test). Debian 12 has no mock and these machines cannot reach
/// an EL build root's repositories, so the agent's mock is a stand-in (<c>Builds/Fixtures/mock-standin.py</c>):
/// it checks mock's command line, loads the configuration as mock does, records what it set and builds
/// with the host's rpmbuild under the configuration's macros and target arch. What these tests show is
/// the executor's side of the contract: when mock is used, with which command and configuration, and
/// what of mock's results becomes the task's.
/// </summary>
public sealed class MockAgentBuildTests : BuildAgentTest
{
    internal override IReadOnlyDictionary<string, string>? AgentPrograms { get; } =
        new Dictionary<string, string> { ["mock"] = Fixture("mock-standin.py") };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterAgentAsync("mocker");
    }

    private List<JsonElement> MockCalls()
    {
        var path = Path.Combine(Agent.WorkDirectory, "mock-calls.jsonl");
        return File.Exists(path) ? [.. File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement)] : [];
    }

    [Fact]
    public async Task An_agent_with_mock_builds_the_srpm_and_the_rpms_with_mock_and_the_tasks_own_configuration()
    {
        var request = Demo(Hello.Url) with
        {
            MockOptions = new MockOptionsRequest(["docs"], [], new Dictionary<string, string> { ["albs_marker"] = "from the build's options" }),
        };
        var build = await WaitForEndAsync((await SubmitAsync(request)).Id);

        build.Status.Should().Be("completed", string.Join("; ", build.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")));
        var calls = MockCalls();
        calls.Select(c => c.GetProperty("mode").GetString()).Should().Equal(["buildsrpm", "rebuild"], "the SRPM and the x86_64 rebuild each ran mock once");
        calls.Select(c => c.GetProperty("target_arch").GetString()).Should().Equal(["x86_64", "x86_64"], "Demo-1 builds its SRPM on its noarch arch");
        calls.Should().OnlyContain(c => c.GetProperty("root").GetString() == "albs-Demo-1-x86_64");
        foreach (var macros in calls.Select(c => c.GetProperty("macros")))
        {
            macros.GetProperty("%dist").GetString().Should().Be(".demo1", "the platform's dist tag reaches mock in the configuration");
            macros.GetProperty("%albs_marker").GetString().Should().Be("from the build's options");
            macros.GetProperty("%_with_docs").GetString().Should().Be("--with-docs");
        }

        var srpmTask = build.Tasks.Single(t => t.Arch == "src");
        srpmTask.Artifacts.Where(a => a.Type == "srpm").Select(a => a.Name).Should().Equal("hello-1.0-1.demo1.src.rpm");
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        x86.Artifacts.Select(a => a.Name).Should().BeEquivalentTo(
            ["hello-1.0-1.demo1.x86_64.rpm", "hello-devel-1.0-1.demo1.x86_64.rpm", "mock.cfg"],
            "the SRPM that mock leaves beside a rebuild's packages is the SRPM task's, not the arch task's; mock's own logs are not packages");

        var srpmLog = await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{srpmTask.Id}/logs/build.1.log");
        srpmLog.Should().Contain("with mock").And.Contain("INFO: mock stand-in: building in albs-Demo-1-x86_64");
        var x86Log = await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log");
        x86Log.Should().Contain("rebuilding for x86_64 with mock").And.Contain("%check").And.Contain("task completed");

        // The configuration mock got is the one stored with the task.
        var stored = await App.Client().GetStringAsync(x86.Artifacts.Single(a => a.Name == "mock.cfg").Url);
        stored.Should().Contain("config_opts['macros']['%albs_marker'] = 'from the build\\'s options'");
    }

    [Fact]
    public async Task A_build_that_fails_under_mock_fails_the_task_with_the_end_of_mocks_root_log_in_the_task_log()
    {
        await Hello.CommitAsync("break the build", ("hello.c", "this is not C\n"));
        var build = await WaitForEndAsync((await SubmitAsync(Demo(Hello.Url))).Id);

        build.Status.Should().Be("failed");
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        x86.Status.Should().Be("failed");
        x86.Error.Should().Contain("exited with code 30");
        x86.Artifacts.Should().BeEmpty();
        var log = await App.Client().GetStringAsync($"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log");
        log.Should().Contain("hello.c").And.Contain("albs: the end of mock's root.log:").And.Contain("DEBUG: rpmbuild exited with 1");
    }
}
