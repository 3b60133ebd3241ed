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

    private int CountLogins() =>
        Agent.Log.Split('\n').Count(l => l.Contains("Accepted publickey", StringComparison.Ordinal));
}
