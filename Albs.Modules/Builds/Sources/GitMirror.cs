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
/// Only changing a mirror (clone, fetch) is serialised per repository; exports only read it and run
/// concurrently, so a hundred builds of one repository do not queue behind each other's archives.
/// Git's readers are safe against a concurrent fetch: objects are written before the refs that
/// name them, and an export names its commit by id.
/// </remarks>
internal sealed class GitMirror(IProcessRunner processes, DataDirectory data, IOptions<BuildSourceOptions> options)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    /// <summary>Writes a tar of <paramref name="commit"/> of <paramref name="url"/> to <paramref name="tarPath"/>.</summary>
    public async Task ExportAsync(string url, string commit, string tarPath, CancellationToken ct)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..24];
        var mirror = data.Combine("git", key + ".git");
        Directory.CreateDirectory(Path.GetDirectoryName(tarPath)!);
        string[] archive = ["archive", "--format=tar", "-o", tarPath, commit];

        // Usually the mirror has the commit: archiving straight away saves asking first (a process
        // per task); git archive fails on a commit it does not have, and then the mirror is updated.
        if (Directory.Exists(mirror) && (await processes.RunCapturedAsync(Spec(mirror, archive), ct)).Succeeded)
        {
            return;
        }

        await UpdateAsync(key, mirror, url, commit, ct);
        await GitAsync(mirror, archive, ct);
    }

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
