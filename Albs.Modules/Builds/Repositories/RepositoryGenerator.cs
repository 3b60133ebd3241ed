using System.Runtime.InteropServices;
using Albs.Modules.Common.Processes;
using Albs.Modules.Common.Storage;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Builds.Repositories;

/// <summary>
/// Writes one generation of a repository: the packages as hard links to the content store (copies
/// where the file system refuses), <c>createrepo_c</c> over them, the fingerprint, then publishes it.
/// </summary>
internal sealed class RepositoryGenerator(IProcessRunner processes, ContentStore store, TimeProvider clock, ILogger<RepositoryGenerator> logger)
{
    private static readonly TimeSpan CreaterepoTimeout = TimeSpan.FromMinutes(30);

    /// <returns>The published generation's directory.</returns>
    /// <exception cref="InvalidOperationException">A package is missing from the content store, or createrepo_c failed (nothing is published).</exception>
    public async Task<string> GenerateAsync(RepositoryDirectory repository, IReadOnlyList<RepositoryPackage> packages, string fingerprint, CancellationToken ct)
    {
        var temporary = repository.CreateTemporary();
        try
        {
            var copied = 0;
            foreach (var package in packages)
            {
                var source = store.PathOf(package.Sha256);
                var target = Path.Combine(temporary, package.Name);
                if (!File.Exists(source))
                {
                    throw new InvalidOperationException($"{package.Name} (sha256 {package.Sha256}) is missing from the content store; {repository.Path} is left as it was");
                }

                if (!TryLink(source, target))
                {
                    // Another file system (or one without hard links): a copy costs space, not correctness.
                    File.Copy(source, target);
                    copied++;
                }
            }

            if (copied > 0)
            {
                logger.LogWarning("Repository {Path}: {Copied} of {Count} package(s) copied because hard links failed (content store on another file system?).", repository.Path, copied, packages.Count);
            }

            // Two threads: reading package headers is disk-bound, and the host shares its cores.
            var output = new List<string>();
            var result = await processes.RunAsync(
                new ProcessSpec("createrepo_c", ["--quiet", "--no-database", "--workers", "2", "--", temporary]) { Timeout = CreaterepoTimeout },
                line =>
                {
                    if (output.Count < 50)
                    {
                        output.Add(line.Text);
                    }

                    return ValueTask.CompletedTask;
                },
                ct);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(
                    $"createrepo_c {(result.TimedOut ? "timed out" : $"exited with code {result.ExitCode}")} for {repository.Path}: {string.Join(" | ", output)}");
            }

            await File.WriteAllTextAsync(Path.Combine(temporary, RepositoryDirectory.FingerprintFile), fingerprint + "\n", ct);
            var now = clock.GetUtcNow().UtcDateTime;
            var generation = repository.Publish(temporary, now);
            repository.CleanUp(now);
            logger.LogInformation("Repository {Path}: {Count} package(s), createrepo_c took {Milliseconds:F0} ms.", repository.Path, packages.Count, result.Duration.TotalMilliseconds);
            return generation;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the clean-up of abandoned work.
        }
    }

    /// <summary>A hard link, or false where the file system (or the C library) does not give one.</summary>
    private static bool TryLink(string existing, string created)
    {
        try
        {
            return Link(existing, created) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>link(2) from glibc: .NET 10 has symbolic links but no hard links, and a process per package would be slow.</summary>
    [DllImport("libc.so.6", EntryPoint = "link", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Link(string existing, string created);
}
