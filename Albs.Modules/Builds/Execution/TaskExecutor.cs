using System.Security.Cryptography;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Lookaside;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Common.Processes;
using Albs.Modules.Common.Storage;
using Albs.Modules.Platforms.Contracts;

namespace Albs.Modules.Builds.Execution;

/// <summary>Everything a task attempt needs to run on its agent.</summary>
internal sealed record TaskWork(
    long BuildId,
    long TaskId,
    int Attempt,
    string Agent,
    string AgentWorkDirectory,
    PlatformDto Platform,
    string Arch,
    string SourceKind,
    string Url,
    string? Commit,
    RpmBuildOptions Options,
    IReadOnlyList<long> LinkedBuilds);

/// <summary>One file of a task's inputs tar: a file on the server, or (small) content held in memory.</summary>
internal sealed record TaskInput(string Name, string? Path, string? Text = null);

/// <summary>A file a task produced, verified and stored content-addressed.</summary>
internal sealed record StoredArtifact(string Name, string Type, long Size, string Sha256, string? Nevra, string? SourceRpm);

/// <summary>The result of one attempt. Artifacts are published only with <c>completed</c>.</summary>
internal sealed record TaskOutcome(bool Succeeded, string? Error, IReadOnlyList<StoredArtifact> Artifacts, RpmInfo? Srpm = null);

/// <summary>An arch task that an SRPM task's session goes on with, claimed for this host, with its log.</summary>
internal sealed record ArchStep(TaskWork Work, TaskLog Log);

/// <summary>
/// Called during an SRPM task's session with the SRPM's successful outcome (see <see cref="TaskExecutor.BuildSrpmAsync"/>):
/// deals with that outcome itself (records it, or finds the lease lost) and returns the arch task the
/// session goes on with, if any.
/// </summary>
internal delegate Task<ArchStep?> SrpmHandOver(TaskOutcome srpm, CancellationToken ct);

/// <summary>
/// What an SRPM task's session produced: the SRPM's outcome (<paramref name="SrpmHandled"/> when the
/// hand-over already dealt with it) and, when the session went on with an arch task, that task and its outcome.
/// </summary>
internal sealed record SrpmSession(TaskOutcome Srpm, bool SrpmHandled, ArchStep? Arch = null, TaskOutcome? ArchOutcome = null);

/// <summary>
/// Runs a task on an agent with rpmbuild, or with mock where the agent has it (ADR 0021): the SRPM task
/// unpacks the exported commit and runs <c>rpmbuild -bs</c> (<c>mock --buildsrpm</c>); an arch task
/// rebuilds the SRPM with <c>rpmbuild --rebuild</c> (<c>mock --rebuild</c>).
/// Each attempt is one ssh session: the inputs are streamed in, the output is streamed line by line
/// into the task log, and the results (listed with their sha256 on the agent) come back on the same
/// session, are verified on the server and stored by content.
/// </summary>
internal sealed partial class TaskExecutor(IAgentShell shell, GitMirror git, LookasideSources lookaside, ContentStore store, IMockConfigBuilder mockConfig, DataDirectory data)
{
    private IAgentShell Shell => shell;

    /// <summary>
    /// Builds the SRPM. With a <paramref name="handOver"/>, the session can go on with one of the
    /// SRPM's arch tasks on the same agent: when the SRPM's results and its whole log are in, the
    /// hand-over records the SRPM task's outcome and claims the arch task (or declines), and the agent
    /// rebuilds the SRPM it already has in the same session: no dispatch hop, no second session, no
    /// upload of the SRPM (ADR 0016).
    /// </summary>
    public async Task<SrpmSession> BuildSrpmAsync(TaskWork work, TaskLog log, Task<string> mockConfigText, SrpmHandOver? handOver, CancellationToken ct)
    {
        var local = LocalWork(work);
        var remote = RemoteWork(work);
        var kill = false;
        ChainedSession? session = null;
        Task<List<TaskInput>>? inputs = null;
        try
        {
            if (work.SourceKind == "srpm")
            {
                return new SrpmSession(await FetchSrpmAsync(work, local, log, ct), false);
            }

            // The session starts while the sources are exported and packed: its stdin waits for them.
            var token = handOver is null ? null : Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            inputs = SrpmInputsAsync(work, local, token, mockConfigText, log, ct);
            session = new ChainedSession(this, work, local, token, handOver, log);
            ProcessResult result;
            try
            {
                result = await session.RunAsync(remote, inputs, mockConfig.RpmbuildDefines(work.Platform, work.Options), ct);
            }
            catch (LookasideException ex)
            {
                return new SrpmSession(new TaskOutcome(false, $"lookaside: {ex.Message}", []), false);
            }

            kill = result.TimedOut;
            if (session.HandedOver)
            {
                return session.Next is null
                    ? new SrpmSession(session.SrpmOutcome!, true)
                    : new SrpmSession(session.SrpmOutcome!, true, session.Next, await session.ArchOutcomeAsync(result, ct));
            }

            if (!result.Succeeded)
            {
                return new SrpmSession(Failed(result, session.SrpmStep), false);
            }

            return new SrpmSession(session.SrpmOutcome ?? await session.CollectSrpmAsync(ct), false);
        }
        finally
        {
            // The inputs are written into the scratch directory removed below (and their failure, if
            // the session ended first, is already told by the session's own).
            if (inputs is not null)
            {
                await EndedAsync(inputs);
            }

            // After the hand-over the session's process group is found in the arch task's directory
            // (the SRPM task's is gone).
            var next = session?.Next;
            var killRemote = kill || ct.IsCancellationRequested;
            await CleanUpAsync(work, session?.ArchLocal ?? local, next is null ? remote : RemoteWork(next.Work), killRemote);
            if (next is not null && killRemote)
            {
                await RemoveRemoteAsync(next.Work);
            }
        }
    }

    /// <summary>
    /// The SRPM task's inputs: the exported commit, its lookaside files, the task's mock configuration (an
    /// agent with mock builds with it), and the token when the session may go on.
    /// </summary>
    private async Task<List<TaskInput>> SrpmInputsAsync(TaskWork work, string local, string? token, Task<string> mockConfigText, TaskLog log, CancellationToken ct)
    {
        await log.InfoAsync($"exporting {work.Url} at {work.Commit}");
        var tar = Path.Combine(local, "source.tar");
        await git.ExportAsync(work.Url, work.Commit!, tar, ct);
        var lookasideTar = Path.Combine(local, "lookaside.tar");
        var lookasideFiles = await lookaside.PackAsync(tar, SourceNames.FromGitUrl(work.Url), lookasideTar, log, ct);
        List<TaskInput> inputs = lookasideFiles > 0 ? [new("source.tar", tar), new("lookaside.tar", lookasideTar)] : [new("source.tar", tar)];
        inputs.Add(new(MockConfigInput, null, await mockConfigText));
        if (token is not null)
        {
            inputs.Add(new("continue", null, token));
        }

        return inputs;
    }

    public async Task<TaskOutcome> RebuildAsync(TaskWork work, StoredArtifact srpm, Task<string> mockConfigText, TaskLog log, CancellationToken ct)
    {
        var local = LocalWork(work);
        var remote = RemoteWork(work);
        var kill = false;
        Task<IReadOnlyList<TaskInput>>? inputs = null;
        try
        {
            await log.InfoAsync($"rebuilding {srpm.Name} for {work.Arch}");
            var defines = mockConfig.RpmbuildDefines(work.Platform, work.Options);
            var results = Path.Combine(local, "results.tar");
            // The session starts while the configuration is generated: its stdin waits for it.
            inputs = RebuildInputsAsync(store.PathOf(srpm.Sha256), mockConfigText);
            var usedMock = false;
            var result = await RunAsync(
                work,
                RebuildScript,
                [remote, work.Arch, .. defines],
                inputs,
                results,
                line =>
                {
                    usedMock |= SaysMock(line.Text);
                    return log.WriteAsync(line.Text);
                },
                ct);
            kill = result.TimedOut;
            var step = usedMock ? "mock --rebuild" : "rpmbuild --rebuild";
            if (!result.Succeeded)
            {
                return Failed(result, step);
            }

            var artifacts = await CollectAsync(results, local, ct);
            return artifacts.Count == 0
                ? new TaskOutcome(false, $"{step} produced no packages", [])
                : new TaskOutcome(true, null, [.. artifacts.Select(a => a.Artifact)]);
        }
        finally
        {
            if (inputs is not null)
            {
                await EndedAsync(inputs);
            }

            // A timed-out build may still run on the agent (closing ssh does not stop it): killed too.
            await CleanUpAsync(work, local, remote, killRemote: kill || ct.IsCancellationRequested);
        }
    }

    private static async Task<IReadOnlyList<TaskInput>> RebuildInputsAsync(string srpmPath, Task<string> mockConfigText) =>
        [new("package.src.rpm", srpmPath), new(MockConfigInput, null, await mockConfigText)];

    private async Task<TaskOutcome> FetchSrpmAsync(TaskWork work, string local, TaskLog log, CancellationToken ct)
    {
        await log.InfoAsync($"downloading {work.Url}");
        var file = Path.Combine(local, "download.src.rpm");
        var uri = new Uri(work.Url);
        if (uri.IsFile)
        {
            File.Copy(uri.LocalPath, file, overwrite: true);
        }
        else
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            await using var body = await http.GetStreamAsync(uri, ct);
            await using var output = File.Create(file);
            await body.CopyToAsync(output, ct);
        }

        var sha = await ContentStore.HashAsync(file, ct);
        var size = new FileInfo(file).Length;
        var info = await RpmHeader.ReadAsync(file, ct);
        await store.AddAsync(file, sha, ct);
        var name = Path.GetFileName(uri.LocalPath);
        return new TaskOutcome(true, null, [new StoredArtifact(name, "srpm", size, sha, info.Nevra, null)], info);
    }

    /// <summary>
    /// One ssh session for the task: the inputs go to the script's stdin as one tar written here from
    /// the local files, its stderr streams into the task log line by line, and its stdout (the packed
    /// results, written only when the build succeeded) goes to <paramref name="results"/>.
    /// </summary>
    private Task<ProcessResult> RunAsync(
        TaskWork work, string script, IReadOnlyList<string> arguments, Task<IReadOnlyList<TaskInput>> inputs, string results, Func<ProcessOutputLine, ValueTask> onLine, CancellationToken ct) =>
        shell.RunScriptWithStreamsAsync(
            work.Agent,
            script,
            arguments,
            async (stdin, token) => await WriteInputsAsync(stdin, await inputs, token),
            async (stdout, token) =>
            {
                await using var file = new FileStream(results, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await stdout.CopyToAsync(file, token);
            },
            onLine,
            work.Platform.Timeout,
            ct);

    /// <summary>Waits for <paramref name="task"/> to end, however it ends; a failure of it is observed here (and told elsewhere, or not at all).</summary>
    private static Task EndedAsync(Task task) =>
        task.ContinueWith(static t => { _ = t.Exception; }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static TaskOutcome Failed(ProcessResult result, string what) =>
        new(false, result.TimedOut ? $"{what} exceeded the platform's timeout" : $"{what} exited with code {result.ExitCode}", []);

    /// <summary>
    /// Whether a line of the task's output is the build script saying it builds with mock
    /// (<c>albs: … with mock</c>): the name a failure of the step is reported under.
    /// </summary>
    private static bool SaysMock(string line) =>
        line.StartsWith("albs: ", StringComparison.Ordinal) && line.EndsWith(" with mock", StringComparison.Ordinal);

    private string LocalWork(TaskWork work)
    {
        var dir = data.Combine("work", $"task-{work.TaskId}-{work.Attempt}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string RemoteWork(TaskWork work) => $"{work.AgentWorkDirectory.TrimEnd('/')}/task-{work.TaskId}-{work.Attempt}";

    /// <summary>
    /// Removes what an attempt abandoned by a stopped server left behind: its processes on the agent
    /// (the build may still run there), its work directories on the agent and on this server.
    /// </summary>
    public async Task AbandonAsync(AgentInfo agent, long taskId, int attempt)
    {
        var local = data.Combine("work", $"task-{taskId}-{attempt}");
        if (Directory.Exists(local))
        {
            Directory.Delete(local, recursive: true);
        }

        var remote = $"{agent.WorkDirectory.TrimEnd('/')}/task-{taskId}-{attempt}";
        try
        {
            await shell.RunScriptAsync(agent.Name, KillScript, [remote], timeout: TimeSpan.FromMinutes(1));
            await shell.RunAsync(agent.Name, ["rm", "-rf", "--", remote], timeout: TimeSpan.FromMinutes(2));
        }
        catch (Exception ex) when (ex is AgentUnreachableException or AgentHostKeyMismatchException)
        {
            // The agent is gone too; nothing of the attempt runs there any more.
        }
    }

    /// <summary>
    /// After an attempt: removes the server-side scratch directory, and when the attempt was cancelled
    /// kills its process group on the agent and removes its work directory there at once. A normal end
    /// leaves the agent's directory to <see cref="RemoveRemoteAsync"/>, called after the outcome is
    /// recorded so the clean-up does not delay it.
    /// </summary>
    private async Task CleanUpAsync(TaskWork work, string local, string remote, bool killRemote)
    {
        if (Directory.Exists(local))
        {
            Directory.Delete(local, recursive: true);
        }

        if (killRemote)
        {
            // Only when cancelled or timed out: after a normal end the group is gone and its id may be reused.
            try
            {
                await shell.RunScriptAsync(work.Agent, KillScript, [remote], timeout: TimeSpan.FromMinutes(1));
            }
            catch (Exception ex) when (ex is AgentUnreachableException or AgentHostKeyMismatchException)
            {
                // The agent is gone, and the build with it.
            }

            await RemoveRemoteAsync(work);
        }
    }

    /// <summary>Removes the attempt's work directory on its agent (best effort: an unreachable agent keeps it).</summary>
    public async Task RemoveRemoteAsync(TaskWork work)
    {
        try
        {
            await shell.RunAsync(work.Agent, ["rm", "-rf", "--", RemoteWork(work)], timeout: TimeSpan.FromMinutes(2));
        }
        catch (Exception ex) when (ex is AgentUnreachableException or AgentHostKeyMismatchException)
        {
            // The agent is gone; its work directory goes with it.
        }
    }
}

/// <summary>File names the server accepts from an agent: no paths, no hidden files, nothing odd.</summary>
internal static class ArtifactNames
{
    public static bool IsSafe(string name) =>
        name.Length is > 0 and <= 255 && !name.StartsWith('.') && !name.Contains("..", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+' or '~' or '^');
}
