using System.Diagnostics;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Common.Processes;
using Albs.Tests.Support;

namespace Albs.Bench;

/// <summary>One plain build: client-side wall time of the two ssh commands.</summary>
internal sealed record PlainRun(double Seconds, double SrpmSeconds, double RebuildSeconds);

/// <summary>
/// The overhead baseline: the sources already on the agent, <c>rpmbuild -bs</c> then
/// <c>rpmbuild --rebuild</c> run over ssh with the executor's own scripts and <c>--define</c>s
/// (<see cref="AlbsUnderTest.RpmbuildDefinesAsync"/>), timed from the client.
/// </summary>
internal sealed class PlainRpmbuild(SshAgentServer agent, DirectSsh ssh, string sourceTar, IReadOnlyList<string> defines)
{
    // The executor's own build scripts up to rpmbuild, without the packing of results that follows
    // in its tasks; MatchesRecorded checks that the executor really sent them.
    public const string SrpmScript = TaskExecutor.SrpmBuildScript;

    public const string RebuildScript = TaskExecutor.RebuildBuildScript;

    private int runs;

    public async Task<PlainRun> RunAsync()
    {
        var root = Path.Combine(agent.WorkDirectory, $"plain-{Interlocked.Increment(ref runs)}");
        var srpm = Path.Combine(root, "srpm");
        var rebuild = Path.Combine(root, "rebuild");
        Directory.CreateDirectory(srpm);
        Directory.CreateDirectory(rebuild);

        // Staged outside the clock: the agent and this client share a file system.
        File.Copy(sourceTar, Path.Combine(srpm, "source.tar"));
        try
        {
            var clock = Stopwatch.StartNew();
            await ssh.RunCheckedAsync(PosixShell.Join(["sh", "-c", SrpmScript, "sh", srpm, .. defines]));
            var srpmSeconds = clock.Elapsed.TotalSeconds;

            // The SRPM is put in place on the agent itself (Albs uploads it from the server).
            await ssh.RunCheckedAsync(
                $"cp -- {PosixShell.Quote(srpm)}/out/*.src.rpm {PosixShell.Quote(Path.Combine(rebuild, "package.src.rpm"))} && "
                + PosixShell.Join(["sh", "-c", RebuildScript, "sh", rebuild, AlbsUnderTest.Arch, .. defines]));
            var total = clock.Elapsed.TotalSeconds;
            if (!Directory.EnumerateFiles(Path.Combine(rebuild, "out"), "*.rpm", SearchOption.AllDirectories).Any())
            {
                throw new InvalidOperationException("the plain rebuild produced no package");
            }

            return new PlainRun(total, srpmSeconds, total - srpmSeconds);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Whether the executor sent these very scripts and defines (a recorded command shows newlines as spaces).</summary>
    public bool MatchesRecorded(IEnumerable<AgentCommand> commands)
    {
        static string Flat(string s) => s.Replace('\n', ' ');
        var sent = commands.Where(c => c.Kind is "rpmbuild -bs" or "rpmbuild --rebuild").Select(c => c.Text).ToList();
        // The executor's scripts receive the inputs before and pack the results after the build part:
        // the quoted build part (without its quotes) is inside the quoted whole.
        var srpm = Flat(PosixShell.Quote(SrpmScript))[1..^1];
        var rebuild = Flat(PosixShell.Quote(RebuildScript))[1..^1];
        var tail = Flat(PosixShell.Join(defines));
        return sent.Any(c => c.Contains(srpm, StringComparison.Ordinal) && c.EndsWith(tail, StringComparison.Ordinal))
            && sent.Any(c => c.Contains(rebuild, StringComparison.Ordinal) && c.EndsWith(tail, StringComparison.Ordinal));
    }
}
