using Albs.Modules.Common.Processes;

namespace Albs.Tests.Support;

public sealed class SshAgentServerTests : IAsyncLifetime
{
    private readonly ProcessRunner runner = new();
    private SshAgentServer server = null!;

    public async Task InitializeAsync() => server = await SshAgentServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Ssh_with_batch_mode_and_the_pinned_host_key_runs_a_command()
    {
        var result = await SshAsync(server, "echo hi");
        result.ExitCode.Should().Be(0, result.StandardError + server.Log);
        result.StandardOutput.Should().Be("hi\n");
        server.HostKeyLine.Should().MatchRegex(@"^\[127\.0\.0\.1\]:\d+ ssh-ed25519 AAAA\S+$");
        server.ClientPrivateKey.Should().StartWith("-----BEGIN OPENSSH PRIVATE KEY-----");
        Directory.Exists(server.WorkDirectory).Should().BeTrue();
        (await SshAsync(server, "echo \"$HOME\"")).StandardOutput.Should().Be(server.WorkDirectory + "\n", "sessions use the work directory as HOME");
    }

    [Fact]
    public async Task Two_servers_run_side_by_side_and_stop_start_and_rekey_behave_like_an_agent()
    {
        await using var second = await SshAgentServer.StartAsync();
        second.Port.Should().NotBe(server.Port);
        second.WorkDirectory.Should().NotBe(server.WorkDirectory);
        (await SshAsync(second, "true")).ExitCode.Should().Be(0);
        (await SshAsync(server, "true")).ExitCode.Should().Be(0);

        var port = server.Port;
        await server.StopAsync();
        var down = await SshAsync(server, "true");
        down.ExitCode.Should().Be(255);
        down.StandardError.Should().Contain("Connection refused");

        await server.StartAgainAsync();
        server.Port.Should().Be(port);
        (await SshAsync(server, "true")).ExitCode.Should().Be(0);

        var pinned = server.HostKeyLine;
        await server.RegenerateHostKeyAsync();
        server.Port.Should().Be(port);
        server.HostKeyLine.Should().NotBe(pinned);
        var changed = await SshAsync(server, "true", pinned);
        changed.ExitCode.Should().Be(255);
        changed.StandardError.Should().Contain("REMOTE HOST IDENTIFICATION HAS CHANGED").And.Contain("Host key verification failed");
        (await SshAsync(server, "true")).ExitCode.Should().Be(0, "the new key works once pinned");
    }

    [Fact]
    public async Task A_recording_server_logs_each_command_with_its_arrival_time_and_still_runs_it()
    {
        await using var recording = await SshAgentServer.StartAsync(recordCommands: true);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var result = await SshAsync(recording, "printf '%s\\n' one 'two words'\necho three");
        result.StandardOutput.Should().Be("one\ntwo words\nthree\n", result.StandardError + recording.Log);
        var mark = recording.Mark();
        (await SshAsync(recording, "true")).ExitCode.Should().Be(0);

        var commands = recording.Commands();
        commands.Select(c => c.Command).Should().Equal("printf '%s\\n' one 'two words' echo three", "true");
        commands.Should().OnlyContain(c => c.At >= before && c.At <= DateTimeOffset.UtcNow.AddSeconds(1));
        recording.Commands(mark).Select(c => c.Command).Should().Equal("true");
        FluentActions.Invoking(() => server.Commands()).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public async Task With_a_cpu_group_every_session_joins_it_before_its_command_runs_and_one_that_cannot_join_runs_nothing()
    {
        // A plain directory stands in for the cgroup: joining is writing the shell's pid to its cgroup.procs.
        var group = Directory.CreateTempSubdirectory("albs-cpu-group-").FullName;
        try
        {
            await using (var grouped = await SshAgentServer.StartAsync(cpuGroup: group))
            {
                var result = await SshAsync(grouped, "echo \"$$\"");
                result.ExitCode.Should().Be(0, result.StandardError + grouped.Log);
                var joined = await File.ReadAllTextAsync(Path.Combine(group, "cgroup.procs"));
                joined.Should().MatchRegex(@"^\d+\n$").And.Be(result.StandardOutput, "the wrapper execs the command in the process that joined");
            }

            await using var broken = await SshAgentServer.StartAsync(cpuGroup: Path.Combine(group, "missing"));
            var refused = await SshAsync(broken, $"touch {PosixShell.Quote(Path.Combine(group, "ran"))}");
            refused.ExitCode.Should().Be(125);
            File.Exists(Path.Combine(group, "ran")).Should().BeFalse();
        }
        finally
        {
            Directory.Delete(group, recursive: true);
        }
    }

    private async Task<CapturedProcessResult> SshAsync(SshAgentServer target, string command, string? hostKeyLine = null)
    {
        var knownHosts = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(knownHosts, (hostKeyLine ?? target.HostKeyLine) + "\n");
            return await runner.RunCapturedAsync(new ProcessSpec("ssh", [
                "-F", "/dev/null", "-i", target.ClientPrivateKeyPath, "-p", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
                $"{target.User}@127.0.0.1", "--", command,
            ])
            { Timeout = TimeSpan.FromSeconds(30) });
        }
        finally
        {
            File.Delete(knownHosts);
        }
    }
}
