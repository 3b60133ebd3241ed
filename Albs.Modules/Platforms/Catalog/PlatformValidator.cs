using Albs.Modules.Platforms.Contracts;

namespace Albs.Modules.Platforms.Catalog;

/// <summary>A valid platform definition with every default filled in.</summary>
internal sealed record PlatformSpec(
    string Name,
    string DistributionName,
    string DistributionVersion,
    IReadOnlyList<string> Arches,
    string NoarchArch,
    string DistTag,
    IReadOnlyDictionary<string, string> RpmMacros,
    IReadOnlyList<PlatformRepositoryDto> Repositories,
    string MockTemplate,
    int TimeoutMinutes,
    bool IsActive);

/// <summary>Checks a <see cref="PlatformRequest"/>; errors are keyed by the camelCase JSON field.</summary>
internal static class PlatformValidator
{
    private const int MaxMacros = 100;
    private const int MaxRepositories = 50;

    public static (PlatformSpec? Spec, Dictionary<string, string[]> Errors) Validate(PlatformRequest request)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        if (request.Name is null || !PlatformRules.PlatformName().IsMatch(request.Name))
        {
            Add("name", "must be 1–64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit");
        }

        if (string.IsNullOrWhiteSpace(request.DistributionName) || request.DistributionName.Length > 64 || request.DistributionName.Any(char.IsControl))
        {
            Add("distributionName", "is required: at most 64 characters, no control characters");
        }

        if (request.DistributionVersion is null || !PlatformRules.DistributionVersion().IsMatch(request.DistributionVersion))
        {
            Add("distributionVersion", "must be 1–32 letters, digits, '.', '_' or '-', e.g. \"9\"");
        }

        var arches = request.Arches ?? [];
        if (arches.Count == 0)
        {
            Add("arches", $"must name at least one of {string.Join(", ", PlatformArches.All)}");
        }

        foreach (var arch in arches.Where(a => !PlatformArches.IsKnown(a)))
        {
            Add("arches", $"unknown arch '{arch}': use {string.Join(", ", PlatformArches.All)}");
        }

        if (arches.Distinct(StringComparer.Ordinal).Count() != arches.Count)
        {
            Add("arches", "must not repeat an arch");
        }

        var noarch = request.NoarchArch
            ?? (arches.Contains(PlatformArches.X86_64, StringComparer.Ordinal) ? PlatformArches.X86_64 : (arches.Count > 0 ? arches[0] : null));
        if (arches.Count > 0 && (noarch is null || !arches.Contains(noarch, StringComparer.Ordinal)))
        {
            Add("noarchArch", "must be one of the platform's arches");
        }

        if (request.DistTag is null || !PlatformRules.DistTag().IsMatch(request.DistTag))
        {
            Add("distTag", "must be '.' and 1–32 letters, digits, '.', '_', '+', '~' or '-', e.g. \".el9\"");
        }

        var macros = request.RpmMacros ?? new Dictionary<string, string>();
        if (macros.Count > MaxMacros)
        {
            Add("rpmMacros", $"at most {MaxMacros} macros");
        }

        foreach (var (name, value) in macros)
        {
            if (!PlatformRules.MacroName().IsMatch(name))
            {
                Add("rpmMacros", $"macro name '{name}' must match ^[A-Za-z_][A-Za-z0-9_]*$ (no leading '%')");
            }
            else if (PlatformRules.CheckValue(value) is { } problem)
            {
                Add($"rpmMacros.{name}", problem);
            }
        }

        ValidateRepositories(request.Repositories ?? [], arches, Add);

        if (request.MockTemplate is { } template && (template.Length > PlatformRules.MaxTemplateLength || template.Contains('\0', StringComparison.Ordinal)))
        {
            Add("mockTemplate", $"must be at most {PlatformRules.MaxTemplateLength} characters without NUL");
        }

        var timeout = request.TimeoutMinutes ?? PlatformRules.DefaultTimeoutMinutes;
        if (timeout is < PlatformRules.MinTimeoutMinutes or > PlatformRules.MaxTimeoutMinutes)
        {
            Add("timeoutMinutes", $"must be between {PlatformRules.MinTimeoutMinutes} and {PlatformRules.MaxTimeoutMinutes} minutes");
        }

        var result = errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
        if (result.Count > 0)
        {
            return (null, result);
        }

        var spec = new PlatformSpec(
            request.Name!,
            request.DistributionName!.Trim(),
            request.DistributionVersion!,
            [.. arches],
            noarch!,
            request.DistTag!,
            new SortedDictionary<string, string>(macros.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal), StringComparer.Ordinal),
            [.. (request.Repositories ?? []).Select(r => r with { Arches = r.Arches is { Count: > 0 } a ? [.. a] : null })],
            NormalizeLineEndings(request.MockTemplate ?? ""),
            timeout,
            request.IsActive ?? true);
        return (spec, result);
    }

    private static void ValidateRepositories(IReadOnlyList<PlatformRepositoryDto> repositories, IReadOnlyList<string> arches, Action<string, string> add)
    {
        if (repositories.Count > MaxRepositories)
        {
            add("repositories", $"at most {MaxRepositories} repositories");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < repositories.Count; i++)
        {
            var repository = repositories[i];
            var field = $"repositories[{i}]";
            if (repository is null)
            {
                add(field, "must be an object {name, url, arches}");
                continue;
            }

            if (repository.Name is null || !PlatformRules.RepositoryName().IsMatch(repository.Name))
            {
                add($"{field}.name", "must be 1–64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
            }
            else if (!seen.Add(repository.Name))
            {
                add($"{field}.name", $"repository '{repository.Name}' is listed twice");
            }

            if (PlatformRules.CheckUrl(repository.Url) is { } problem)
            {
                add($"{field}.url", problem);
            }

            foreach (var arch in (repository.Arches ?? []).Where(a => !arches.Contains(a, StringComparer.Ordinal)))
            {
                add($"{field}.arches", $"'{arch}' is not one of the platform's arches");
            }
        }
    }

    private static string NormalizeLineEndings(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
}
