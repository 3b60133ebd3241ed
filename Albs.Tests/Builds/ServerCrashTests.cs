using System.Net.Http.Json;
using System.Security.Cryptography;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Processes;
using Albs.Tests.Agents;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Albs.Tests.Builds;

/// <summary>The server process is killed with SIGKILL in the middle of a build, then started again.</summary>
public sealed class ServerCrashTests
{
    private const string Marker = "sleep 3037";

    private static async Task<bool> StalledBuildRunsAsync() =>
        (await new ProcessRunner().RunAsync(new ProcessSpec("pgrep", ["-f", Marker]))).ExitCode == 0;

    [Fact]
    public async Task Tasks_of_a_killed_server_are_run_again_after_their_lease_and_nothing_is_stored_twice_or_half()
    {
        using var database = TestDatabase.Sqlite();
        await using var agent = await SshAgentServer.StartAsync(recordCommands: true);
        using var hello = await TestGitRepository.CreateAsync("hello");
        var spec = BuildAgentTest.Fixture("hello.spec").Replace(
            "gcc -O2 -o hello hello.c",
            $"if [ -e \"$HOME/slow\" ]; then echo albs-stalled; {Marker}; fi; gcc -O2 -o hello hello.c",
            StringComparison.Ordinal);
        await hello.CommitAsync("import hello", ("hello.spec", spec), ("hello.c", BuildAgentTest.Fixture("hello.c")));
        var slow = Path.Combine(agent.WorkDirectory, "slow");
        await File.WriteAllTextAsync(slow, "");
        var settings = new Dictionary<string, string?>(database.Settings)
        {
            ["Builds:AllowFileUrls"] = "true",
            ["Builds:TaskLease"] = "00:00:05",
            ["Agents:ProbeInterval"] = "00:00:00.250",
        };

        long buildId;
        long taskId;
        await using (var first = await HostProcess.StartAsync(settings))
        {
            using var admin = first.AdminClient();
            (await admin.PostAsJsonAsync("/api/v1/agents", AgentTestKit.Request(agent, "builder1"))).EnsureSuccessStatusCode();
            await Eventually.TrueAsync(async () => (await admin.GetFromJsonAsync<AgentResponse>("/api/v1/agents/builder1"))!.State == "online", "the agent is online");
            var submitted = await admin.PostAsJsonAsync("/api/v1/builds", BuildAgentTest.Demo(hello.Url));
            var build = (await submitted.Content.ReadFromJsonAsync<BuildResponse>())!;
            buildId = build.Id;
            taskId = build.Tasks.Single(t => t.Arch == "x86_64").Id;
            await Eventually.TrueAsync(
                async () => await admin.GetAsync($"/api/v1/builds/{buildId}/tasks/{taskId}/logs/build.1.log") is { IsSuccessStatusCode: true } log
                    && (await log.Content.ReadAsStringAsync()).Contains("albs-stalled", StringComparison.Ordinal),
                "the x86_64 task stalls in %build");

            await first.KillAsync();
        }

        (await StalledBuildRunsAsync()).Should().BeTrue("the killed server's build is still running on the agent");
        File.Delete(slow);

        await using var second = await HostProcess.StartAsync(settings);
        using var client = second.Client();
        BuildResponse? done = null;
        await Eventually.TrueAsync(
            async () => (done = await client.GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{buildId}"))!.Status is "completed" or "failed" or "cancelled",
            "the build finishes after the restart",
            TimeSpan.FromMinutes(3));

        done!.Status.Should().Be("completed", string.Join("; ", done.Tasks.Select(t => $"{t.Arch}: {t.Status} {t.Error}")) + "\n" + second.Output);
        var task = done.Tasks.Single(t => t.Id == taskId);
        task.Attempt.Should().Be(2, "the attempt of the killed server is counted and run again");
        task.Logs.Should().Equal("build.1.log", "build.2.log");
        done.Tasks.Single(t => t.Arch == "src").Attempt.Should().Be(1, "what had completed is not run again");
        await Eventually.TrueAsync(async () => !await StalledBuildRunsAsync(), "the abandoned attempt's processes on the agent are killed", TimeSpan.FromSeconds(30));

        // Each artifact is recorded once, and the store holds exactly whole, verified files.
        await using (var db = database.CreateContext())
        {
            var artifacts = await db.Set<BuildArtifact>().AsNoTracking().ToListAsync();
            artifacts.Select(a => (a.TaskId, a.Name)).Should().OnlyHaveUniqueItems();
            artifacts.Should().HaveCount(5, "one SRPM, two RPMs and the generated mock configuration of each task");
            (await db.Set<BuildTask>().CountAsync(t => t.Status == "started")).Should().Be(0);
            var stored = Directory.GetFiles(Path.Combine(database.DataDirectory, "sha256"), "*", SearchOption.AllDirectories);
            stored.Select(f => Path.GetFileName(Path.GetDirectoryName(f)) + Path.GetFileName(f)).Should().BeEquivalentTo(artifacts.Select(a => a.Sha256).Distinct());
            foreach (var file in stored)
            {
                Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file))).Should().Be(Path.GetFileName(Path.GetDirectoryName(file)) + Path.GetFileName(file));
            }
        }

        await Eventually.TrueAsync(
            () => Task.FromResult(!Directory.Exists(Path.Combine(database.DataDirectory, "work")) || Directory.GetFileSystemEntries(Path.Combine(database.DataDirectory, "work")).Length == 0),
            "no work directory of the abandoned attempt is left on the server");
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(Directory.GetDirectories(agent.WorkDirectory, "task-*").Length == 0), "nor on the agent");
        }
        catch (TimeoutException ex)
        {
            // Flaked once under load (2026-11-22): say what was left and what the agent was asked to do.
            var left = Directory.GetDirectories(agent.WorkDirectory, "task-*")
                .Select(d => $"{Path.GetFileName(d)}: {string.Join(", ", Directory.GetFileSystemEntries(d, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(d, f)).Take(20))}");
            var commands = agent.Commands().Select(c => $"{c.At:HH:mm:ss.fff} {(c.Command.Length > 200 ? c.Command[..200] : c.Command)}");
            throw new TimeoutException($"{ex.Message}\nleft: {string.Join("; ", left)}\nagent commands:\n{string.Join('\n', commands)}", ex);
        }
    }
}
