using System.Globalization;
using System.Text;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Common.Processes;

public sealed class ProcessRunnerTests : IDisposable
{
    // Generous safety net so a broken runner fails a test instead of hanging the run; never asserted on.
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(30);

    private readonly ProcessRunner _runner = new();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ProcessSpec Sh(string script, params string[] positional) =>
        new("sh", ["-c", script, "sh", .. positional]) { Timeout = SafetyTimeout };

    [Fact]
    public async Task Stdout_and_stderr_lines_are_streamed_in_order_with_their_stream_tags()
    {
        var lines = new List<ProcessOutputLine>();

        var result = await _runner.RunAsync(
            Sh("echo a; echo b >&2; echo c; echo d >&2; printf 'no newline'"),
            line =>
            {
                lines.Add(line);
                return ValueTask.CompletedTask;
            });

        result.ExitCode.Should().Be(0);
        result.Succeeded.Should().BeTrue();
        result.TimedOut.Should().BeFalse();
        // Order across the two pipes is inherently racy; order within each stream is guaranteed.
        lines.Where(l => l.Stream == ProcessStream.StandardOutput).Select(l => l.Text)
            .Should().Equal("a", "c", "no newline");
        lines.Where(l => l.Stream == ProcessStream.StandardError).Select(l => l.Text)
            .Should().Equal("b", "d");
    }

    [Fact]
    public async Task Line_terminators_are_lf_crlf_or_cr_and_empty_lines_are_kept()
    {
        var result = await _runner.RunCapturedAsync(Sh("printf 'a\\nb\\r\\nc\\rd\\n\\ne'"));

        result.Succeeded.Should().BeTrue();
        result.StandardOutput.Should().Be("a\nb\nc\nd\n\ne\n");
    }

    [Theory]
    [InlineData(8191)]
    [InlineData(8192)]
    [InlineData(65535)]
    [InlineData(65536)]
    [InlineData(65537)]
    public async Task A_crlf_on_a_read_or_piece_boundary_ends_exactly_one_line(int length)
    {
        var result = await _runner.RunCapturedAsync(
            Sh("head -c \"$1\" /dev/zero | tr '\\0' x; printf '\\r\\nafter\\r\\n'", length.ToString(CultureInfo.InvariantCulture)));

        result.Succeeded.Should().BeTrue();
        var lines = result.StandardOutput.Split('\n');
        lines[^1].Should().BeEmpty();
        lines[^2].Should().Be("after");
        string.Concat(lines[..^2]).Should().Be(new string('x', length));
        lines[^3].Should().NotBeEmpty("a CRLF must not produce an extra empty line");
    }

    [Fact]
    public async Task A_huge_line_is_delivered_in_bounded_pieces()
    {
        var pieces = new List<string>();

        var result = await _runner.RunAsync(
            Sh("head -c 200000 /dev/zero | tr '\\0' x; echo; echo next"),
            line =>
            {
                pieces.Add(line.Text);
                return ValueTask.CompletedTask;
            });

        result.Succeeded.Should().BeTrue();
        pieces.Should().HaveCountGreaterThan(2);
        pieces.Should().OnlyContain(p => p.Length <= ProcessRunner.MaxLineLength);
        string.Concat(pieces.SkipLast(1)).Should().Be(new string('x', 200_000));
        pieces[^1].Should().Be("next");
    }

    [Fact]
    public async Task A_surrogate_pair_is_never_split_between_pieces()
    {
        var pieces = new List<string>();

        var result = await _runner.RunAsync(
            Sh($"head -c {ProcessRunner.MaxLineLength - 1} /dev/zero | tr '\\0' x; printf '😀yz\\n'"),
            line =>
            {
                pieces.Add(line.Text);
                return ValueTask.CompletedTask;
            });

        result.Succeeded.Should().BeTrue();
        pieces.Should().HaveCount(2);
        pieces[0].Should().EndWith("😀");
        string.Concat(pieces).Should().Be(new string('x', ProcessRunner.MaxLineLength - 1) + "😀yz");
    }

    [Fact]
    public async Task Exit_code_is_returned()
    {
        var result = await _runner.RunAsync(Sh("exit 3"));

        result.ExitCode.Should().Be(3);
        result.TimedOut.Should().BeFalse();
        result.Succeeded.Should().BeFalse();
    }

    [Fact]
    public async Task A_line_reaches_the_callback_while_the_process_is_still_running()
    {
        var go = _temp.File("go");
        var lines = new List<string>();

        // The script cannot finish until the callback has seen its first line and created the file.
        var result = await _runner.RunAsync(
            Sh("echo ready; while [ ! -e \"$1\" ]; do sleep 0.02; done; echo done", go),
            async line =>
            {
                lines.Add(line.Text);
                if (line.Text == "ready")
                {
                    await File.WriteAllTextAsync(go, "go");
                }
            });

        result.TimedOut.Should().BeFalse("the callback must have been called before the process ended");
        result.ExitCode.Should().Be(0);
        lines.Should().Equal("ready", "done");
    }

    [Fact]
    public async Task Callbacks_never_run_concurrently()
    {
        var running = 0;
        var overlapped = false;
        var count = 0;

        var result = await _runner.RunAsync(
            Sh("i=0; while [ $i -lt 200 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done"),
            async _ =>
            {
                if (Interlocked.Increment(ref running) != 1)
                {
                    overlapped = true;
                }

                await Task.Yield();
                count++;
                Interlocked.Decrement(ref running);
            });

        result.ExitCode.Should().Be(0);
        overlapped.Should().BeFalse();
        count.Should().Be(400, "every line is delivered before RunAsync returns");
    }

    [Fact]
    public async Task Hostile_arguments_reach_the_program_verbatim_and_nothing_is_executed()
    {
        string[] arguments =
        [
            "--",
            "--upload-pack=touch PWNED",
            "-rf",
            "with space",
            "  leading and trailing  ",
            "it's",
            "\"double\"",
            "$(touch PWNED)",
            "`touch PWNED`",
            "${HOME}",
            "$HOME",
            "; touch PWNED",
            "a && touch PWNED",
            "| touch PWNED",
            "> PWNED",
            "line1\nline2",
            "tab\there",
            "cr\rhere",
            "back\\slash\\",
            "*",
            "~",
            "#comment",
            "!",
            string.Empty,
            "émoji 😀 שלום",
        ];

        // printf writes each argument followed by NUL; "$@" expands to the positional parameters unchanged.
        var result = await _runner.RunAsync(
            Sh("printf '%s\\0' \"$@\" > out.bin", arguments) with { WorkingDirectory = _temp.Path });

        result.ExitCode.Should().Be(0);
        var output = await File.ReadAllBytesAsync(_temp.File("out.bin"));
        var expected = Encoding.UTF8.GetBytes(string.Concat(arguments.Select(a => a + "\0")));
        output.Should().Equal(expected);
        File.Exists(_temp.File("PWNED")).Should().BeFalse();
    }

    [Fact]
    public async Task Arguments_are_passed_to_a_program_started_directly()
    {
        var result = await _runner.RunCapturedAsync(
            new ProcessSpec("printf", ["[%s]", "a b", "$(id)", "--", "'q'"]) { Timeout = SafetyTimeout });

        result.Succeeded.Should().BeTrue();
        result.StandardOutput.Should().Be("[a b][$(id)][--]['q']\n");
        result.StandardError.Should().BeEmpty();
    }

    [Fact]
    public async Task Timeout_kills_the_whole_process_tree()
    {
        var pidFile = _temp.File("grandchild.pid");
        var spec = Sh("sleep 300 & echo $! > \"$1\"; sleep 300", pidFile) with { Timeout = TimeSpan.FromSeconds(1.5) };

        var result = await _runner.RunAsync(spec);

        result.TimedOut.Should().BeTrue();
        result.Succeeded.Should().BeFalse();
        var grandchild = await ProcessTreeProbe.ReadPidFileAsync(pidFile);
        try
        {
            (await ProcessTreeProbe.WaitUntilDeadAsync(grandchild, TimeSpan.FromSeconds(5)))
                .Should().BeTrue("the background grandchild belongs to the killed tree");
        }
        finally
        {
            ProcessTreeProbe.KillIfAlive(grandchild);
        }
    }

    [Fact]
    public async Task Cancellation_kills_the_whole_process_tree_and_throws()
    {
        var pidFile = _temp.File("grandchild.pid");
        using var cts = new CancellationTokenSource();
        var spec = Sh("sleep 300 & echo $! > \"$1\"; echo started; sleep 300", pidFile);

        var run = async () => await _runner.RunAsync(
            spec,
            async line =>
            {
                if (line.Text == "started")
                {
                    await cts.CancelAsync();
                }
            },
            cts.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
        var grandchild = await ProcessTreeProbe.ReadPidFileAsync(pidFile);
        try
        {
            (await ProcessTreeProbe.WaitUntilDeadAsync(grandchild, TimeSpan.FromSeconds(5)))
                .Should().BeTrue("the background grandchild belongs to the cancelled tree");
        }
        finally
        {
            ProcessTreeProbe.KillIfAlive(grandchild);
        }
    }

    [Fact]
    public async Task Already_cancelled_token_throws_without_starting_anything()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var run = async () => await _runner.RunAsync(Sh("touch started") with { WorkingDirectory = _temp.Path }, null, cts.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
        File.Exists(_temp.File("started")).Should().BeFalse();
    }

    [Fact]
    public async Task Standard_input_is_delivered_and_closed()
    {
        var result = await _runner.RunCapturedAsync(
            new ProcessSpec("cat", []) { StandardInput = "hello\nwörld 😀\nlast", Timeout = SafetyTimeout });

        result.Succeeded.Should().BeTrue();
        result.StandardOutput.Should().Be("hello\nwörld 😀\nlast\n");
    }

    [Fact]
    public async Task Reading_standard_input_when_none_is_given_sees_end_of_file()
    {
        var result = await _runner.RunCapturedAsync(
            Sh("if read line; then echo \"got:$line\"; else echo eof; fi; cat; echo after-cat"));

        result.TimedOut.Should().BeFalse();
        result.ExitCode.Should().Be(0);
        result.StandardOutput.Should().Be("eof\nafter-cat\n");
    }

    [Fact]
    public async Task A_child_that_ignores_its_standard_input_does_not_break_the_run()
    {
        var result = await _runner.RunAsync(Sh("exit 0") with { StandardInput = new string('x', 1 << 20) });

        result.Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task A_missing_program_throws_a_ProcessStartException_naming_it()
    {
        const string program = "albs-no-such-program-4f1c2a";

        var run = async () => await _runner.RunAsync(new ProcessSpec(program, ["--secret-token=abc"]));

        var thrown = await run.Should().ThrowAsync<ProcessStartException>();
        thrown.Which.FileName.Should().Be(program);
        thrown.Which.Message.Should().Contain(program).And.NotContain("secret-token");
    }

    [Fact]
    public async Task A_missing_working_directory_throws_a_ProcessStartException()
    {
        var run = async () => await _runner.RunAsync(
            new ProcessSpec("true", []) { WorkingDirectory = _temp.File("does-not-exist") });

        await run.Should().ThrowAsync<ProcessStartException>();
    }

    [Fact]
    public async Task A_NUL_character_in_an_argument_is_rejected()
    {
        var run = async () => await _runner.RunAsync(new ProcessSpec("true", ["a\0b"]));

        await run.Should().ThrowAsync<ArgumentException>().WithMessage("*NUL*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task A_non_positive_timeout_is_rejected(int seconds)
    {
        var run = async () => await _runner.RunAsync(new ProcessSpec("true", []) { Timeout = TimeSpan.FromSeconds(seconds) });

        await run.Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Working_directory_and_environment_changes_are_applied()
    {
        Environment.SetEnvironmentVariable("ALBS_PROCESS_TEST_REMOVED", "still-here");
        try
        {
            var spec = Sh("pwd; echo \"set=$ALBS_SET\"; echo \"removed=${ALBS_PROCESS_TEST_REMOVED-unset}\"") with
            {
                WorkingDirectory = _temp.Path,
                Environment = new Dictionary<string, string?>
                {
                    ["ALBS_SET"] = "v a l",
                    ["ALBS_PROCESS_TEST_REMOVED"] = null,
                },
            };

            var result = await _runner.RunCapturedAsync(spec);

            result.Succeeded.Should().BeTrue();
            var expectedDirectory = new DirectoryInfo(_temp.Path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? _temp.Path;
            result.StandardOutput.Should().Be($"{expectedDirectory}\nset=v a l\nremoved=unset\n");
        }
        finally
        {
            Environment.SetEnvironmentVariable("ALBS_PROCESS_TEST_REMOVED", null);
        }
    }

    [Fact]
    public async Task A_throwing_callback_kills_the_process_and_the_exception_surfaces()
    {
        var pidFile = _temp.File("child.pid");

        var run = async () => await _runner.RunAsync(
            Sh("echo $$ > \"$1\"; echo boom; sleep 300", pidFile),
            line => line.Text == "boom" ? throw new InvalidOperationException("callback failed") : ValueTask.CompletedTask);

        await run.Should().ThrowAsync<InvalidOperationException>().WithMessage("callback failed");
        var child = await ProcessTreeProbe.ReadPidFileAsync(pidFile);
        try
        {
            (await ProcessTreeProbe.WaitUntilDeadAsync(child, TimeSpan.FromSeconds(5))).Should().BeTrue();
        }
        finally
        {
            ProcessTreeProbe.KillIfAlive(child);
        }
    }

    [Fact]
    public async Task A_detached_descendant_holding_the_output_open_does_not_block_the_run_forever()
    {
        // The background sleep outlives sh (so it escapes the tree) and keeps stdout open.
        var runner = new ProcessRunner(null, TimeSpan.FromMilliseconds(300));
        var pidFile = _temp.File("orphan.pid");
        var lines = new List<string>();

        var result = await runner.RunAsync(
            Sh("sleep 300 & echo $! > \"$1\"; echo bye", pidFile),
            line =>
            {
                lines.Add(line.Text);
                return ValueTask.CompletedTask;
            });

        ProcessTreeProbe.KillIfAlive(await ProcessTreeProbe.ReadPidFileAsync(pidFile));
        result.Succeeded.Should().BeTrue();
        lines.Should().Equal("bye");
    }
}
