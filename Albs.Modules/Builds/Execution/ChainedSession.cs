using System.Diagnostics;
using System.Text;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Common.Processes;

namespace Albs.Modules.Builds.Execution;

internal sealed partial class TaskExecutor
{
    /// <summary>
    /// An SRPM task's ssh session, which may go on with one of its arch tasks (ADR 0016). Its streams:
    /// stdin carries the inputs tar (padded to whole tar records when the session may go on) and then
    /// the server's answer line; stderr is the log, switched from the SRPM task's log to the arch task's
    /// at the hand-over; stdout carries the SRPM's results framed by their length, then the arch step's
    /// results to the end.
    /// </summary>
    private sealed class ChainedSession(TaskExecutor executor, TaskWork work, string local, string? token, SrpmHandOver? handOver, TaskLog log)
    {
        private readonly LogSink sink = new(log);
        private readonly TaskCompletionSource marker = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<ArchStep?> decision = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string srpmResults = Path.Combine(local, "results.tar");
        private string? archLocal;
        private bool framed;
        private bool usedMock;

        /// <summary>Whether the hand-over was called (the SRPM's results and log were complete and good): it dealt with the SRPM's outcome.</summary>
        public bool HandedOver { get; private set; }

        /// <summary>The SRPM step as failures name it: with mock when the agent's script said so (<see cref="SaysMock"/>).</summary>
        public string SrpmStep => usedMock ? "mock --buildsrpm" : "rpmbuild -bs";

        /// <summary>The arch task the session went on with, if any.</summary>
        public ArchStep? Next { get; private set; }

        /// <summary>
        /// The scratch directory on this server of the arch task the session went on with (the SRPM
        /// task's is removed at the hand-over, so what a crash leaves behind carries the running task's name).
        /// </summary>
        public string? ArchLocal => archLocal;

        /// <summary>The SRPM's outcome, when it was collected during the session.</summary>
        public TaskOutcome? SrpmOutcome { get; private set; }

        public async Task<ProcessResult> RunAsync(string remote, Task<List<TaskInput>> inputs, IReadOnlyList<string> defines, CancellationToken ct)
        {
            // The platform's timeout applies to each step: it starts again when the session goes on.
            using var step = new CancellationTokenSource(work.Platform.Timeout);
            using var session = CancellationTokenSource.CreateLinkedTokenSource(ct, step.Token);
            var clock = Stopwatch.StartNew();
            try
            {
                return await executor.Shell.RunScriptWithStreamsAsync(
                    work.Agent,
                    SrpmScript,
                    [remote, .. defines],
                    (stdin, t) => WriteAsync(stdin, inputs, t),
                    (stdout, t) => ReadAsync(stdout, step, t),
                    OnLineAsync,
                    timeout: null,
                    session.Token);
            }
            catch (OperationCanceledException) when (step.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                return new ProcessResult(-1, TimedOut: true, clock.Elapsed);
            }
        }

        /// <summary>The SRPM task's outcome from its framed results.</summary>
        public async Task<TaskOutcome> CollectSrpmAsync(CancellationToken ct)
        {
            if (!framed)
            {
                return new TaskOutcome(false, $"{SrpmStep} sent no results", []);
            }

            var artifacts = await executor.CollectAsync(srpmResults, local, ct);
            var srpm = artifacts.SingleOrDefault(a => a.Artifact.Type == "srpm");
            return srpm.Artifact is null
                ? new TaskOutcome(false, $"{SrpmStep} produced no SRPM", [])
                : new TaskOutcome(true, null, [.. artifacts.Select(a => a.Artifact)], srpm.Header);
        }

        /// <summary>The arch task's outcome, when the session went on with it.</summary>
        public async Task<TaskOutcome> ArchOutcomeAsync(ProcessResult result, CancellationToken ct)
        {
            if (!result.Succeeded)
            {
                return Failed(result, "rpmbuild --rebuild");
            }

            var results = Path.Combine(archLocal!, "results.tar");
            if (!File.Exists(results))
            {
                return new TaskOutcome(false, "rpmbuild --rebuild sent no results", []);
            }

            var artifacts = await executor.CollectAsync(results, archLocal!, ct);
            return artifacts.Count == 0
                ? new TaskOutcome(false, "rpmbuild --rebuild produced no packages", [])
                : new TaskOutcome(true, null, [.. artifacts.Select(a => a.Artifact)]);
        }

        private async Task WriteAsync(Stream stdin, Task<List<TaskInput>> inputs, CancellationToken ct)
        {
            var written = await WriteInputsAsync(stdin, await inputs.WaitAsync(ct), ct);
            if (handOver is null)
            {
                return;
            }

            // Whole records, so the agent's tar leaves the answer that follows on stdin.
            await stdin.WriteAsync(new byte[(TarRecord - (written % TarRecord)) % TarRecord], ct);
            await stdin.FlushAsync(ct);
            var next = await decision.Task.WaitAsync(ct);
            var answer = next is null ? "stop\n" : $"rebuild {next.Work.Arch} {RemoteWork(next.Work)}\n";
            await stdin.WriteAsync(Encoding.UTF8.GetBytes(answer), ct);
        }

        private async Task ReadAsync(Stream stdout, CancellationTokenSource step, CancellationToken ct)
        {
            try
            {
                if (await ReadLengthAsync(stdout, ct) is not { } length)
                {
                    return; // The SRPM build failed before its results: the exit code tells.
                }

                await using (var file = new FileStream(srpmResults, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                {
                    framed = await CopyExactlyAsync(stdout, file, length, ct);
                }

                if (!framed || handOver is null)
                {
                    await stdout.CopyToAsync(Stream.Null, ct);
                    return;
                }

                // The agent now prints the marker and waits for the answer; anything else on stdout, or
                // its end, means the session will not go on.
                var first = new byte[1];
                var peek = stdout.ReadAsync(first, ct).AsTask();
                if (await Task.WhenAny(marker.Task, peek) == peek)
                {
                    if (await peek > 0)
                    {
                        throw new InvalidDataException("the agent sent more results before it was told to go on");
                    }

                    return;
                }

                SrpmOutcome = await CollectSrpmAsync(ct);
                if (SrpmOutcome.Succeeded)
                {
                    Next = await handOver(SrpmOutcome, ct);
                    HandedOver = true;
                }

                var next = Next;
                if (next is not null)
                {
                    sink.Switch(next.Log);
                    step.CancelAfter(work.Platform.Timeout);
                    archLocal = executor.LocalWork(next.Work);
                    Directory.Delete(local, recursive: true);
                }

                decision.TrySetResult(next);
                var read = await peek;
                if (next is null || read == 0)
                {
                    return;
                }

                await using var output = new FileStream(Path.Combine(archLocal!, "results.tar"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await output.WriteAsync(first.AsMemory(0, read), ct);
                await stdout.CopyToAsync(output, ct);
            }
            finally
            {
                decision.TrySetResult(null);
            }
        }

        private ValueTask OnLineAsync(ProcessOutputLine line)
        {
            if (token is not null && !marker.Task.IsCompleted && line.Text == StepMarker + token)
            {
                marker.TrySetResult();
                return ValueTask.CompletedTask;
            }

            usedMock |= SaysMock(line.Text);

            return sink.WriteAsync(line.Text);
        }

        /// <summary>The length line before the SRPM's results: null when the output ended before it.</summary>
        private static async Task<long?> ReadLengthAsync(Stream stream, CancellationToken ct)
        {
            var text = new StringBuilder();
            var one = new byte[1];
            while (true)
            {
                if (await stream.ReadAsync(one, ct) == 0)
                {
                    return null;
                }

                if (one[0] == (byte)'\n')
                {
                    return long.TryParse(text.ToString().Trim(), out var length) && length >= 0
                        ? length
                        : throw new InvalidDataException($"the agent's results start with '{text}', not their length");
                }

                if (text.Length > 20)
                {
                    throw new InvalidDataException("the agent's results do not start with their length");
                }

                text.Append((char)one[0]);
            }
        }

        private static async Task<bool> CopyExactlyAsync(Stream from, Stream to, long length, CancellationToken ct)
        {
            var buffer = new byte[1 << 16];
            while (length > 0)
            {
                var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), ct);
                if (read == 0)
                {
                    return false;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), ct);
                length -= read;
            }

            return true;
        }
    }

    /// <summary>
    /// The log the session's lines go to: the SRPM task's, then the arch task's from the hand-over. The
    /// SRPM task's log stays open until the session ends, so a line on its way there is never lost.
    /// </summary>
    private sealed class LogSink(TaskLog first)
    {
        private TaskLog current = first;

        public ValueTask WriteAsync(string line) => Volatile.Read(ref current).WriteAsync(line);

        public void Switch(TaskLog next) => Volatile.Write(ref current, next);
    }

    /// <summary>A write-only pass-through that counts the bytes written (to pad the inputs tar).</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Written += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
