using Albs.Modules.Common.Processes;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Builds.Sources;

/// <summary>How a submitted ref was found in the repository.</summary>
internal enum GitRefKind
{
    Branch,
    Tag,
    Commit,
}

/// <summary>A ref resolved at submission: the commit the build will use, whatever the branch does later.</summary>
internal sealed record ResolvedGitRef(string Url, string Ref, GitRefKind Kind, string Commit);

/// <summary>The outcome of resolving a source: the resolved ref, or an error to show the submitter.</summary>
internal sealed record GitResolution(ResolvedGitRef? Resolved, string? Error)
{
    public static GitResolution Fail(string error) => new(null, error);
}

/// <summary>The <c>Builds</c> configuration section (sources part).</summary>
internal sealed class BuildSourceOptions
{
    public const string SectionName = "Builds";

    /// <summary>Accept <c>file://</c> repositories (local mirrors; tests). Off by default.</summary>
    public bool AllowFileUrls { get; set; }

    public TimeSpan GitTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long an exported commit (the tar sent to SRPM tasks) is kept after it was made: builds of
    /// the same commit within it send the kept tar instead of running <c>git archive</c> again.
    /// </summary>
    public TimeSpan ExportRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Where SRPM tasks download dist-git lookaside files this server does not hold: a URL template
    /// with <c>{name}</c>, <c>{filename}</c>, <c>{hashtype}</c>, <c>{hash}</c>. Unset: only this server's lookaside.
    /// </summary>
    public string? LookasideUrl { get; set; }

    /// <summary>Limit of one lookaside download, body included.</summary>
    public TimeSpan LookasideTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest lookaside file accepted, downloaded or uploaded (bytes; 4 GiB).</summary>
    public long LookasideMaxFileSize { get; set; } = 4L << 30;
}

/// <summary>
/// Resolves a git branch, tag or commit to a commit id with <c>git ls-remote</c>, after validating
/// URL and ref. Git never prompts, never runs remote helpers, and never sees a user value where it
/// could read an option.
/// </summary>
/// <remarks>
/// Concurrent resolutions of one URL share <c>git ls-remote</c> runs (its output, every head and tag,
/// depends on the URL only), so a burst of submissions of one repository costs two runs, not one per
/// submission. Sharing stays linearisable: a resolution never takes the output of a run that started
/// before it arrived (the ref may have moved in between); it waits for the next run, which is shared by
/// everyone who arrived while the previous one was running. A shared run has its own timeout and no
/// waiter's cancellation token: a cancelled waiter only stops waiting.
/// </remarks>
internal sealed class GitSourceResolver(IProcessRunner processes, IOptions<BuildSourceOptions> options)
{
    // A URL is here while a run for it is in progress; the value is the run queued behind it, if any.
    private readonly Dictionary<string, TaskCompletionSource<RefListing>?> runs = new(StringComparer.Ordinal);

    public async Task<GitResolution> ResolveAsync(string url, string gitRef, CancellationToken ct)
    {
        var settings = options.Value;
        if (GitUrl.Validate(url, settings.AllowFileUrls) is { } urlError)
        {
            return GitResolution.Fail(urlError);
        }

        if (GitRefName.Validate(gitRef) is { } refError)
        {
            return GitResolution.Fail(refError);
        }

        ct.ThrowIfCancellationRequested();
        var listing = await ListRefsAsync(url).WaitAsync(ct);
        return listing.Error is { } error ? GitResolution.Fail(error) : Match(url, gitRef, listing.Refs!);
    }

    /// <summary>The refs of <paramref name="url"/> as read by a run that starts after this call.</summary>
    private Task<RefListing> ListRefsAsync(string url)
    {
        TaskCompletionSource<RefListing> run;
        lock (runs)
        {
            if (runs.TryGetValue(url, out var queued))
            {
                if (queued is null)
                {
                    queued = NewRun();
                    runs[url] = queued;
                }

                return queued.Task;
            }

            run = NewRun();
            runs[url] = null;
        }

        _ = RunBackToBackAsync(url, run);
        return run.Task;
    }

    private static TaskCompletionSource<RefListing> NewRun() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs <c>git ls-remote</c> for <paramref name="url"/> until nobody waits for a further run.</summary>
    private async Task RunBackToBackAsync(string url, TaskCompletionSource<RefListing> run)
    {
        while (true)
        {
            RefListing? listing = null;
            Exception? failure = null;
            try
            {
                listing = await LsRemoteAsync(url);
            }
            catch (Exception e)
            {
                failure = e;
            }

            TaskCompletionSource<RefListing>? next;
            lock (runs)
            {
                next = runs[url];
                if (next is null)
                {
                    runs.Remove(url);
                }
                else
                {
                    runs[url] = null;
                }
            }

            if (failure is null)
            {
                run.SetResult(listing!);
            }
            else
            {
                run.SetException(failure);
            }

            if (next is null)
            {
                return;
            }

            run = next;
        }
    }

    private async Task<RefListing> LsRemoteAsync(string url)
    {
        var settings = options.Value;
        var spec = GitCommand.Spec(["ls-remote", "--heads", "--tags", "--", url], settings.AllowFileUrls, settings.GitTimeout);
        var result = await processes.RunCapturedAsync(spec, CancellationToken.None);
        if (result.TimedOut)
        {
            return new RefListing(null, $"the repository did not answer within {settings.GitTimeout.TotalSeconds:0} s");
        }

        if (!result.Succeeded)
        {
            var reason = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .FirstOrDefault(l => l.StartsWith("fatal:", StringComparison.Ordinal)) ?? "git ls-remote failed";
            return new RefListing(null, $"cannot read the repository: {reason}");
        }

        return new RefListing(ParseRefs(result.StandardOutput), null);
    }

    /// <summary>Picks the ref: a branch, else a tag (peeled to its commit), else a full commit id.</summary>
    internal static GitResolution Match(string url, string gitRef, IReadOnlyDictionary<string, string> refs)
    {
        var qualified = gitRef.StartsWith("refs/", StringComparison.Ordinal);
        var branch = qualified ? gitRef : $"refs/heads/{gitRef}";
        var tag = qualified ? gitRef : $"refs/tags/{gitRef}";
        if (refs.TryGetValue(branch, out var commit) && branch.StartsWith("refs/heads/", StringComparison.Ordinal))
        {
            return new GitResolution(new ResolvedGitRef(url, gitRef, GitRefKind.Branch, commit), null);
        }

        if (refs.TryGetValue(tag + "^{}", out commit) || refs.TryGetValue(tag, out commit))
        {
            return new GitResolution(new ResolvedGitRef(url, gitRef, GitRefKind.Tag, commit), null);
        }

        if (GitRefName.IsCommitId(gitRef))
        {
            return gitRef.Length is 40 or 64
                ? new GitResolution(new ResolvedGitRef(url, gitRef, GitRefKind.Commit, gitRef), null)
                : GitResolution.Fail("an abbreviated commit id cannot be checked before the build; give the full 40-character id");
        }

        return GitResolution.Fail($"no branch or tag '{gitRef}' in the repository");
    }

    internal static Dictionary<string, string> ParseRefs(string lsRemoteOutput)
    {
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lsRemoteOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0)
            {
                refs[line[(tab + 1)..].Trim()] = line[..tab];
            }
        }

        return refs;
    }

    /// <summary>One <c>git ls-remote</c> outcome, shared by its waiters (read-only once published).</summary>
    private sealed record RefListing(IReadOnlyDictionary<string, string>? Refs, string? Error);
}
