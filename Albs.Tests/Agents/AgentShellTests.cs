using System.Text;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Health;
using Albs.Modules.Agents.Ssh;
using Albs.Modules.Common.Processes;
using Albs.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Agents;

/// <summary>The SSH transport against a real sshd; no background probe, so connections can be counted.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentShellTests() : AgentWebTest(AgentTestKit.NoProbe)
{
    private IAgentShell Shell => App.Services.GetRequiredService<IAgentShell>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await AgentTestKit.RegisterAsync(App, Agent, "a1");
    }

    [Fact]
    public async Task Hostile_arguments_arrive_verbatim_and_nothing_is_executed()
    {
        var marker = Path.Combine(Agent.WorkDirectory, "markers");
        Directory.CreateDirectory(marker);
        string[] hostile =
        [
            $"$(touch {marker}/x1)", $"`touch {marker}/x2`", $"; touch {marker}/x3", $"&& touch {marker}/x4",
            $"| touch {marker}/x5", $"\ntouch {marker}/x6\n", $"' ; touch {marker}/x7 ; '", $"\" ; touch {marker}/x8 ; \"",
            "$HOME", "${IFS}", "*", "~", "-n", "", "  spaced  ", "back\\slash", "tab\there", "é☃ unicode", "'", "\"", "%s %n",
        ];

        // Each argument comes back base64-encoded on its own line, so newlines and quotes survive the trip.
        var lines = new List<string>();
        var result = await Shell.RunScriptAsync("a1", "for a; do printf '%s' \"$a\" | base64 -w0; echo; done", hostile, line =>
        {
            if (line.Stream == ProcessStream.StandardOutput)
            {
                lines.Add(line.Text);
            }

            return ValueTask.CompletedTask;
        });
        result.ExitCode.Should().Be(0);
        lines.Select(l => Encoding.UTF8.GetString(Convert.FromBase64String(l))).Should().Equal(hostile);

        var printed = new List<string>();
        var direct = await Shell.RunAsync("a1", ["printf", "<%s>\\n", .. hostile.Where(h => !h.Contains('\n', StringComparison.Ordinal))], line =>
        {
            printed.Add(line.Text);
            return ValueTask.CompletedTask;
        });
        direct.ExitCode.Should().Be(0);
        printed.Should().Equal(hostile.Where(h => !h.Contains('\n', StringComparison.Ordinal)).Select(h => $"<{h}>"));
        Directory.GetFiles(marker).Should().BeEmpty("no argument may be executed by the remote shell");
    }

    [Fact]
    public async Task One_session_carries_binary_input_and_output_while_stderr_arrives_line_by_line()
    {
        // 3 MB of every byte value in, the same bytes reversed by the agent back out on stdout, and
        // lines on stderr arriving before the session ends (the task log of a running build).
        var input = new byte[3 << 20];
        new Random(7).NextBytes(input);
        var received = new MemoryStream();
        var lines = new List<(string Text, bool BeforeOutputEnded)>();
        var outputEnded = false;
        var result = await Shell.RunScriptWithStreamsAsync(
            "a1",
            "set -e\necho \"start $1\" >&2\ncat > in.$$\nprintf 'got %s bytes\\n' \"$(wc -c < in.$$)\" >&2\nprintf 'no newline at the end' >&2\ncat in.$$\nrm -f in.$$\nexit 3",
            ["arg with 'quotes' and $(id)"],
            async (stdin, ct) => await stdin.WriteAsync(input, ct),
            async (stdout, ct) =>
            {
                await stdout.CopyToAsync(received, ct);
                outputEnded = true;
            },
            line =>
            {
                line.Stream.Should().Be(ProcessStream.StandardError);
                lines.Add((line.Text, Volatile.Read(ref outputEnded)));
                return ValueTask.CompletedTask;
            });
        result.ExitCode.Should().Be(3);
        received.ToArray().Should().Equal(input);
        lines.Select(l => l.Text).Should().Equal("start arg with 'quotes' and $(id)", $"got {input.Length} bytes", "no newline at the end");
        lines[0].BeforeOutputEnded.Should().BeFalse("stderr is read while stdout is still open");
    }

    [Fact]
    public async Task Exit_codes_come_back_including_255_and_unknown_agents_are_refused()
    {
        (await Shell.RunScriptAsync("a1", "exit \"$1\"", ["7"])).ExitCode.Should().Be(7);
        (await Shell.RunScriptAsync("a1", "echo oops >&2; exit 255", [])).ExitCode.Should().Be(255, "a command's own 255 is not an ssh failure");
        (await AgentTestKit.GetAsync(App, "a1")).State.Should().Be(AgentStates.Online, "a successful connection shows the agent online");

        var timedOut = await Shell.RunAsync("a1", ["sleep", "30"], timeout: TimeSpan.FromMilliseconds(500));
        timedOut.TimedOut.Should().BeTrue();

        await FluentActions.Awaiting(() => Shell.RunAsync("nope", ["true"])).Should().ThrowAsync<AgentNotFoundException>();
        await FluentActions.Awaiting(() => Shell.RunAsync("a1", [])).Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task A_second_command_reuses_the_control_master_connection()
    {
        var connection = (await App.Services.GetRequiredService<AgentStateStore>().FindAsync("a1", default))!;
        var socket = App.Services.GetRequiredService<SshRuntime>().Target(connection).ControlSocket;
        Encoding.UTF8.GetByteCount(socket).Should().BeLessThan(80, "Unix socket paths are limited to about 104 bytes");

        (await Shell.RunAsync("a1", ["true"])).ExitCode.Should().Be(0);
        File.Exists(socket).Should().BeTrue("the first command leaves a master connection behind");
        (File.GetUnixFileMode(Path.GetDirectoryName(socket)!) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.OtherExecute)).Should().Be(UnixFileMode.None);

        (await Shell.RunAsync("a1", ["true"])).ExitCode.Should().Be(0);
        (await Shell.RunAsync("a1", ["true"])).ExitCode.Should().Be(0);
        CountLogins().Should().Be(1, "later commands are sessions on the one authenticated connection");

        await App.DisposeAsync();
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Log.Contains("Disconnected from user", StringComparison.Ordinal)), "the host closes its master connections when it stops");
    }

    [Fact]
    public async Task A_session_on_a_running_master_is_opened_by_the_server_itself_without_an_ssh_process()
    {
        var connection = (await App.Services.GetRequiredService<AgentStateStore>().FindAsync("a1", default))!;
        var socket = App.Services.GetRequiredService<SshRuntime>().Target(connection).ControlSocket;

        // No master yet: the session starts ssh, which becomes the master.
        File.Exists(socket).Should().BeFalse();
        (await SessionAsync()).SshChildren.Should().Be(1, "with no master listening the server starts ssh");
        File.Exists(socket).Should().BeTrue();

        // A master listens: the server opens the session on its control socket, no process.
        var direct = await SessionAsync();
        direct.SshChildren.Should().Be(0, "the session is opened on the master's control socket");
        direct.Output.Should().Equal(direct.Input, "the bytes went through the master's session channel both ways");
        CountLogins().Should().Be(1);

        // Text commands (probe, cancel, clean-up) too: lines of both streams, one callback at a time.
        var textChildren = -1;
        var lines = new List<(ProcessStream Stream, string Text)>();
        var text = await Shell.RunAsync("a1", ["sh", "-c", "echo waiting; sleep 1; echo oops >&2; printf 'a\\r\\nb'; exit 4"], line =>
        {
            if (line.Text == "waiting")
            {
                textChildren = SshChildren(socket);
            }

            lines.Add((line.Stream, line.Text));
            return ValueTask.CompletedTask;
        });
        text.ExitCode.Should().Be(4);
        textChildren.Should().Be(0);
        lines.Should().BeEquivalentTo([(ProcessStream.StandardOutput, "waiting"), (ProcessStream.StandardError, "oops"), (ProcessStream.StandardOutput, "a"), (ProcessStream.StandardOutput, "b")]);

        // The master is gone (it exited after its idle time, say): its socket is gone with it, ssh is started again.
        await App.Services.GetRequiredService<SshClient>().ExitMasterAsync(connection);
        await Eventually.TrueAsync(() => Task.FromResult(!File.Exists(socket)), "ssh -O exit removes the socket");
        (await SessionAsync()).SshChildren.Should().Be(1);
        CountLogins().Should().Be(2, "a new master authenticated");

        // A stale socket file (the master was killed and could not remove it) is not an error either.
        var master = await MasterPidAsync(socket);
        Kill(master);
        await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists($"/proc/{master}")), "the master was killed");
        File.Exists(socket).Should().BeTrue("a killed master leaves its socket behind");
        (await SessionAsync()).SshChildren.Should().Be(1, "nothing listens on the stale socket, so ssh is started");
    }

    [Fact]
    public async Task On_the_master_directly_exit_codes_signals_and_timeouts_come_back_as_from_ssh()
    {
        (await Shell.RunAsync("a1", ["true"])).ExitCode.Should().Be(0, "this starts the master");

        (await StreamsAsync("echo out; echo err >&2; exit 7")).Should().Be((7, false, "out\n", "err\n"));
        (await StreamsAsync("exit 255")).Should().Be((255, false, "", ""), "a command's own 255 is not an ssh failure");
        (await AgentTestKit.GetAsync(App, "a1")).State.Should().Be(AgentStates.Online);
        (await StreamsAsync("echo before; kill -9 $$")).Should().Be((255, false, "before\n", ""), "death by a signal is 255 with no message, as from ssh");
        (await AgentTestKit.GetAsync(App, "a1")).State.Should().Be(AgentStates.Online, "the agent still answers, so a silent 255 is the command's");

        // A timeout ends the session: the master closes the remote command's stdin, as when an ssh
        // client is killed (the command itself is not signalled without a tty; cancelling a task kills
        // its process group on the agent separately).
        var marker = Path.Combine(Agent.WorkDirectory, "stdin-closed-" + Guid.NewGuid().ToString("N"));
        var timedOut = await Shell.RunScriptWithStreamsAsync(
            "a1",
            "cat > /dev/null; touch \"$1\"",
            [marker],
            async (stdin, ct) => await Task.Delay(Timeout.Infinite, ct),
            async (stdout, ct) => await stdout.CopyToAsync(Stream.Null, ct),
            timeout: TimeSpan.FromSeconds(1));
        timedOut.TimedOut.Should().BeTrue();
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(marker)), "the session's stdin was closed on the agent");

        using var cancelled = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await FluentActions.Awaiting(() => Shell.RunScriptWithStreamsAsync(
            "a1", "cat > /dev/null", [], async (stdin, ct) => await Task.Delay(Timeout.Infinite, ct), async (stdout, ct) => await stdout.CopyToAsync(Stream.Null, ct),
            cancellationToken: cancelled.Token)).Should().ThrowAsync<OperationCanceledException>();
    }

    private async Task<(int ExitCode, bool TimedOut, string Stdout, string Stderr)> StreamsAsync(string script)
    {
        var stdout = new MemoryStream();
        var stderr = new List<string>();
        var result = await Shell.RunScriptWithStreamsAsync(
            "a1", script, [], (stdin, ct) => Task.CompletedTask, async (output, ct) => await output.CopyToAsync(stdout, ct), line =>
            {
                stderr.Add(line.Text + "\n");
                return ValueTask.CompletedTask;
            });
        return (result.ExitCode, result.TimedOut, Encoding.UTF8.GetString(stdout.ToArray()), string.Concat(stderr));
    }

    /// <summary>
    /// One session that echoes 64 KB of stdin back; while it waits on the agent, counts the ssh
    /// processes this test process has started for this agent (its control socket on their command
    /// line; other tests run ssh from this process at the same time). A master started by ssh detaches,
    /// so it is not one.
    /// </summary>
    private async Task<(int SshChildren, byte[] Input, byte[] Output)> SessionAsync()
    {
        var connection = (await App.Services.GetRequiredService<AgentStateStore>().FindAsync("a1", default))!;
        var socket = App.Services.GetRequiredService<SshRuntime>().Target(connection).ControlSocket;
        var input = new byte[64 << 10];
        new Random(11).NextBytes(input);
        var output = new MemoryStream();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var children = -1;
        var result = await Shell.RunScriptWithStreamsAsync(
            "a1",
            "echo waiting >&2; cat",
            [],
            async (stdin, ct) =>
            {
                await waiting.Task.WaitAsync(ct);
                children = SshChildren(socket);
                await stdin.WriteAsync(input, ct);
            },
            async (stdout, ct) => await stdout.CopyToAsync(output, ct),
            line =>
            {
                if (line.Text == "waiting")
                {
                    waiting.TrySetResult();
                }

                return ValueTask.CompletedTask;
            });
        result.ExitCode.Should().Be(0);
        output.ToArray().Should().Equal(input);
        return (children, input, output.ToArray());
    }

    private static int SshChildren(string controlSocket)
    {
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var stat in Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "stat")))
        {
            string text;
            try
            {
                text = File.ReadAllText(stat);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // pid (comm) state ppid …
            var close = text.LastIndexOf(')');
            if (close < 0 || text.IndexOf('(', StringComparison.Ordinal) < 0)
            {
                continue;
            }

            var comm = text[(text.IndexOf('(', StringComparison.Ordinal) + 1)..close];
            var fields = text[(close + 2)..].Split(' ');
            if (comm == "ssh" && fields.Length > 1 && fields[1] == self && CommandLine(Path.GetDirectoryName(stat)!).Contains(controlSocket, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    private static string CommandLine(string processDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(processDirectory, "cmdline")).Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task<int> MasterPidAsync(string socket)
    {
        var check = await new ProcessRunner().RunCapturedAsync(new ProcessSpec("ssh", ["-F", "/dev/null", "-o", "ControlPath=" + socket, "-O", "check", "albs-agent"]));
        var match = System.Text.RegularExpressions.Regex.Match(check.StandardError, @"pid=(\d+)");
        match.Success.Should().BeTrue($"ssh -O check names the master: {check.StandardError}");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Kill(int pid) => System.Diagnostics.Process.GetProcessById(pid).Kill();

    private int CountLogins() =>
        Agent.Log.Split('\n').Count(l => l.Contains("Accepted publickey", StringComparison.Ordinal));
}
