using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Platforms.Contracts;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Builds.Submission;

/// <summary>A source that passed validation: a resolved git ref, or an SRPM URL.</summary>
internal sealed record ValidSource(string Kind, string Url, string Package, ResolvedGitRef? Git);

/// <summary>A request that passed validation, with its platforms looked up and its refs resolved.</summary>
internal sealed record ValidBuildRequest(
    IReadOnlyList<(PlatformDto Platform, IReadOnlyList<string> Arches)> Platforms,
    IReadOnlyList<ValidSource> Sources,
    RpmBuildOptions Options,
    IReadOnlyList<long> LinkedBuilds);

/// <summary>
/// Checks a build request field by field (errors keyed like <c>tasks[1].ref</c>) and resolves every
/// git ref to a commit with <c>git ls-remote</c>, so the build records exactly what it will build.
/// </summary>
internal sealed class BuildRequestValidator(
    IPlatformCatalog platforms,
    IMockConfigBuilder mockConfig,
    GitSourceResolver git,
    IOptions<BuildSourceOptions> options)
{
    public const int MaxSources = 100;
    public const int MaxLinkedBuilds = 20;

    public async Task<(ValidBuildRequest? Request, Dictionary<string, string[]> Errors)> ValidateAsync(
        SubmitBuildRequest request, Func<IReadOnlyList<long>, Task<IReadOnlyList<long>>> missingBuilds, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        var validPlatforms = await ValidatePlatformsAsync(request.Platforms, Error, ct);

        var options = new RpmBuildOptions(
            request.MockOptions?.With ?? [],
            request.MockOptions?.Without ?? [],
            request.MockOptions?.Defines ?? new Dictionary<string, string>());
        if (validPlatforms.Count > 0)
        {
            foreach (var (field, messages) in mockConfig.Validate(validPlatforms[0].Platform, options, []))
            {
                foreach (var message in messages)
                {
                    Error($"mockOptions.{field}", message);
                }
            }
        }

        if (request.Priority is < -10 or > 10)
        {
            Error("priority", "priority must be between -10 and 10");
        }

        var linked = request.LinkedBuilds ?? [];
        if (linked.Count > MaxLinkedBuilds)
        {
            Error("linkedBuilds", $"at most {MaxLinkedBuilds} linked builds");
        }
        else if (linked.Count > 0)
        {
            foreach (var id in await missingBuilds(linked))
            {
                Error("linkedBuilds", $"build {id} does not exist");
            }
        }

        var sources = await ValidateSourcesAsync(request.Tasks, Error, ct);
        return errors.Count > 0
            ? (null, errors)
            : (new ValidBuildRequest(validPlatforms, sources!, options, [.. linked.Distinct()]), errors);
    }

    private async Task<List<(PlatformDto Platform, IReadOnlyList<string> Arches)>> ValidatePlatformsAsync(
        IReadOnlyList<BuildPlatformRequest>? requested, Action<string, string> error, CancellationToken ct)
    {
        var valid = new List<(PlatformDto, IReadOnlyList<string>)>();
        if (requested is null || requested.Count == 0)
        {
            error("platforms", "at least one platform is required");
            return valid;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < requested.Count; i++)
        {
            var (name, arches) = (requested[i].Name, requested[i].Arches);
            var field = $"platforms[{i}]";
            var platform = string.IsNullOrWhiteSpace(name) ? null : await platforms.FindAsync(name, ct);
            if (platform is null || !platform.IsActive)
            {
                error($"{field}.name", string.IsNullOrWhiteSpace(name) ? "a platform name is required" : $"no active platform '{name}'");
                continue;
            }

            if (!seen.Add(platform.Name))
            {
                error($"{field}.name", $"platform '{platform.Name}' is given twice");
                continue;
            }

            if (arches is null || arches.Count == 0)
            {
                error($"{field}.arches", "at least one architecture is required");
                continue;
            }

            var unknown = arches.Where(a => !platform.Arches.Contains(a, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0)
            {
                error($"{field}.arches", $"{platform.Name} does not build {string.Join(", ", unknown)} (it builds {string.Join(", ", platform.Arches)})");
                continue;
            }

            valid.Add((platform, BuildPlanner.OrderArches(arches)));
        }

        return valid;
    }

    private async Task<List<ValidSource>?> ValidateSourcesAsync(IReadOnlyList<BuildSourceRequest>? tasks, Action<string, string> error, CancellationToken ct)
    {
        if (tasks is null || tasks.Count == 0)
        {
            error("tasks", "at least one source (a git url and ref, or an srpmUrl) is required");
            return null;
        }

        if (tasks.Count > MaxSources)
        {
            error("tasks", $"at most {MaxSources} sources in one build");
            return null;
        }

        // Resolve refs a few at a time: each is a network round trip to the git server.
        using var gate = new SemaphoreSlim(4);
        var results = await Task.WhenAll(tasks.Select(async (task, i) =>
        {
            await gate.WaitAsync(ct);
            try
            {
                return await ValidateSourceAsync(task, $"tasks[{i}]", ct);
            }
            finally
            {
                gate.Release();
            }
        }));
        foreach (var (_, field, message) in results.Where(r => r.Source is null))
        {
            error(field!, message!);
        }

        return results.All(r => r.Source is not null) ? [.. results.Select(r => r.Source!)] : null;
    }

    private async Task<(ValidSource? Source, string? Field, string? Message)> ValidateSourceAsync(BuildSourceRequest task, string field, CancellationToken ct)
    {
        if (task.SrpmUrl is not null)
        {
            if (task.Url is not null || task.Ref is not null)
            {
                return (null, field, "give either url and ref (git) or srpmUrl, not both");
            }

            return SrpmUrl.Validate(task.SrpmUrl, options.Value.AllowFileUrls) is { } problem
                ? (null, $"{field}.srpmUrl", problem)
                : (new ValidSource("srpm", task.SrpmUrl, SourceNames.FromSrpmUrl(task.SrpmUrl), null), null, null);
        }

        var resolution = await git.ResolveAsync(task.Url ?? "", task.Ref ?? "", ct);
        if (resolution.Error is not null)
        {
            var key = GitUrl.Validate(task.Url, options.Value.AllowFileUrls) is not null ? "url" : "ref";
            return (null, $"{field}.{key}", resolution.Error);
        }

        return (new ValidSource("git", task.Url!, SourceNames.FromGitUrl(task.Url!), resolution.Resolved), null, null);
    }
}
