using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Albs.Modules.Common.Processes;
using Albs.Modules.Common.Storage;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Builds.Sources;

/// <summary>
/// Bare mirrors of source repositories on the server. A task's sources are exported from the
/// mirror at the recorded commit (<c>git archive</c>) and sent to the agent, so agents need no
/// access to the git servers and always build exactly the commit resolved at submission.
/// </summary>
/// <remarks>
/// <para>
/// Only changing a mirror (clone, fetch) is serialised per repository; exports only read it and run
/// concurrently, so a hundred builds of one repository do not queue behind each other's archives.
/// Git's readers are safe against a concurrent fetch: objects are written before the refs that
/// name them, and an export names its commit by id.
/// </para>
/// <para>
/// An export is made once per commit and kept (<c>git-exports/</c> in the data directory, for
/// <see cref="BuildSourceOptions.ExportRetention"/>): a commit's tar never changes, and the same
/// commit is exported for every platform of a build, for each of a burst of builds of one ref and
/// for every resubmission. A task gets a hard link to it (no copy, no new inode), so removing old
/// exports never takes a file from a task that is sending it.
/// </para>
/// </remarks>
internal sealed class GitMirror(IProcessRunner processes, DataDirectory data, IOptions<BuildSourceOptions> options)
{
    private static readonly long SweepIntervalMs = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task>> exporting = new(StringComparer.Ordinal);
    private long lastSweep = long.MinValue / 2;

    /// <summary>Writes a tar of <paramref name="commit"/> of <paramref name="url"/> to <paramref name="tarPath"/>.</summary>
    public async Task ExportAsync(string url, string commit, string tarPath, CancellationToken ct)
    {
        if (commit.Length is not (40 or 64) || !commit.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"not a full commit id: {commit}", nameof(commit));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(tarPath)!);
        File.Delete(tarPath);

        // A sweep may remove the kept tar between its being found and linked: it is then exported again, once.
        if (!TryPlace(await ExportOnceAsync(url, commit, ct), tarPath) && !TryPlace(await ExportOnceAsync(url, commit, ct), tarPath))
        {
            throw new IOException($"the export of {commit} vanished twice while being linked");
        }
    }

    /// <summary>Gives <paramref name="tarPath"/> the kept export (a hard link, else a copy); false when the export is gone.</summary>
    private static bool TryPlace(string export, string tarPath)
    {
        try
        {
            switch (HardLink.TryCreate(export, tarPath))
            {
                case HardLink.Result.Linked:
                    return true;
                case HardLink.Result.SourceMissing:
                    return false;
                default:
                    File.Copy(export, tarPath, overwrite: true);
                    return true;
            }
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Removes exports (and exports cut short by a crash) last written before <paramref name="olderThanUtc"/>;
    /// returns how many. Runs by itself at most once an hour, from an export.
    /// </summary>
    internal int SweepExports(DateTime olderThanUtc)
    {
        var root = data.Combine("git-exports");
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(file) < olderThanUtc)
                {
                    File.Delete(file);
                    removed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another host sharing the data directory removed or replaced it, or it is not ours
                // to remove: left alone.
            }
        }

        return removed;
    }

    /// <summary>The kept export of the commit, made now if there is none (once, however many tasks ask at the same time).</summary>
    private async Task<string> ExportOnceAsync(string url, string commit, CancellationToken ct)
    {
        var key = Key(url);
        var path = data.Combine("git-exports", key, commit + ".tar");
        SweepWhenDue();
        if (File.Exists(path))
        {
            return path;
        }

        // Not the caller's token: the export is shared by every task waiting for it, and is bounded
        // by git's own time limit; a cancelled task stops waiting.
        await SharedAsync(path, () => MakeExportAsync(key, url, commit, path)).WaitAsync(ct);
        return path;
    }

    /// <summary>
    /// The run of <paramref name="make"/> for <paramref name="path"/> under way, or a new one: it leaves
    /// the table when it ends, however it ends, so a failed export is tried afresh by the next task.
    /// </summary>
    private Task SharedAsync(string path, Func<Task> make)
    {
        Lazy<Task>? mine = null;
        mine = new Lazy<Task>(RunThenLeaveAsync);
        return exporting.GetOrAdd(path, mine).Value;

        async Task RunThenLeaveAsync()
        {
            try
            {
                await make();
            }
            finally
            {
                exporting.TryRemove(KeyValuePair.Create(path, mine!));
            }
        }
    }

    private async Task MakeExportAsync(string key, string url, string commit, string path)
    {
        var mirror = data.Combine("git", key + ".git");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Written aside and moved in whole: a reader never links a half-written tar, and hosts
        // sharing the data directory may both export (the later move wins, with the same bytes).
        var partial = $"{path}.partial-{Guid.NewGuid().ToString("N")[..8]}";
        string[] archive = ["archive", "--format=tar", "-o", partial, commit];
        try
        {
            // Usually the mirror has the commit: archiving straight away saves asking first; git
            // archive fails on a commit it does not have, and then the mirror is updated.
            if (!Directory.Exists(mirror) || !(await processes.RunCapturedAsync(Spec(mirror, archive), CancellationToken.None)).Succeeded)
            {
                await UpdateAsync(key, mirror, url, commit, CancellationToken.None);
                await GitAsync(mirror, archive, CancellationToken.None);
            }

            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private void SweepWhenDue()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref lastSweep);
        if (now - last < SweepIntervalMs || Interlocked.CompareExchange(ref lastSweep, now, last) != last)
        {
            return;
        }

        var olderThan = DateTime.UtcNow - options.Value.ExportRetention;
        _ = Task.Run(() => SweepExports(olderThan));
    }

    private static string Key(string url) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..24];

    /// <summary>
    /// Clones or fetches until the mirror holds the commit: one writer per repository in this process;
    /// hosts sharing the data directory may race, and the loser uses the winner's clone or fetch.
    /// </summary>
    private async Task UpdateAsync(string key, string mirror, string url, string commit, CancellationToken ct)
    {
        var gate = locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (!Directory.Exists(mirror))
            {
                // Cloned aside and moved in whole: readers never see a half-cloned mirror, and a
                // clone cut short by a crash leaves only a directory the next clone ignores.
                var partial = $"{mirror}.partial-{Guid.NewGuid().ToString("N")[..8]}";
                try
                {
                    await GitAsync(null, ["clone", "--mirror", "--quiet", "--", url, partial], ct);
                    Directory.Move(partial, mirror);
                }
                catch (IOException) when (Directory.Exists(mirror))
                {
                    // Another host sharing the data directory moved its clone in first: use that one.
                }
                finally
                {
                    if (Directory.Exists(partial))
                    {
                        Directory.Delete(partial, recursive: true);
                    }
                }
            }
            else if (!await HasCommitAsync(mirror, commit, ct))
            {
                try
                {
                    await GitAsync(mirror, ["fetch", "--quiet", "--prune", "--", url, "+refs/*:refs/*"], ct);
                }
                catch (InvalidOperationException)
                {
                    // Another host may have fetched into the shared mirror at the same time (git's ref
                    // locks refuse the second fetch); if it fetched what this one needed, all is well.
                    if (!await HasCommitAsync(mirror, commit, ct))
                    {
                        throw;
                    }
                }
            }

            if (!await HasCommitAsync(mirror, commit, ct))
            {
                throw new InvalidOperationException($"commit {commit} is no longer in {url}");
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<bool> HasCommitAsync(string mirror, string commit, CancellationToken ct) =>
        (await processes.RunAsync(Spec(mirror, ["cat-file", "-e", commit + "^{commit}"]), null, ct)).ExitCode == 0;

    private async Task GitAsync(string? directory, string[] args, CancellationToken ct)
    {
        var result = await processes.RunCapturedAsync(Spec(directory, args), ct);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"git {args[0]} failed: {result.StandardError.Trim()}");
        }
    }

    private ProcessSpec Spec(string? directory, IReadOnlyList<string> args) =>
        GitCommand.Spec(args, options.Value.AllowFileUrls, TimeSpan.FromMinutes(10), directory);
}
