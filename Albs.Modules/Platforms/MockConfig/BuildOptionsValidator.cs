using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;

namespace Albs.Modules.Platforms.MockConfig;

/// <summary>Checks per-build options and linked repositories before they reach a config or an argument list.</summary>
internal static class BuildOptionsValidator
{
    public static Dictionary<string, string[]> Validate(PlatformDto platform, RpmBuildOptions options, IReadOnlyList<LinkedRepository> linkedRepositories)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(linkedRepositories);
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        const string conditional = "must be 1–64 letters, digits, '_', '.', '+' or '-'";
        var with = options.With ?? [];
        var without = options.Without ?? [];
        for (var i = 0; i < with.Count; i++)
        {
            if (with[i] is null || !PlatformRules.ConditionalName().IsMatch(with[i]))
            {
                Add($"with[{i}]", conditional);
            }
        }

        for (var i = 0; i < without.Count; i++)
        {
            if (without[i] is null || !PlatformRules.ConditionalName().IsMatch(without[i]))
            {
                Add($"without[{i}]", conditional);
            }
            else if (with.Contains(without[i], StringComparer.Ordinal))
            {
                Add($"without[{i}]", $"'{without[i]}' is also in 'with'");
            }
        }

        foreach (var (name, value) in options.Defines ?? new Dictionary<string, string>())
        {
            if (!PlatformRules.MacroName().IsMatch(name))
            {
                Add("defines", $"macro name '{name}' must match ^[A-Za-z_][A-Za-z0-9_]*$ (no leading '%')");
            }
            else if (PlatformRules.CheckValue(value) is { } problem)
            {
                Add($"defines.{name}", problem);
            }
        }

        var names = new HashSet<string>(platform.Repositories.Select(r => r.Name), StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < linkedRepositories.Count; i++)
        {
            var repository = linkedRepositories[i];
            if (repository?.Name is null || !PlatformRules.RepositoryName().IsMatch(repository.Name))
            {
                Add($"repositories[{i}].name", "must be 1–64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
            }
            else if (!names.Add(repository.Name))
            {
                Add($"repositories[{i}].name", $"repository '{repository.Name}' is already used by the platform or another linked build");
            }

            if (PlatformRules.CheckUrl(repository?.Url) is { } problem)
            {
                Add($"repositories[{i}].url", problem);
            }
        }

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, including any in the platform itself.</summary>
    public static void ThrowIfInvalid(PlatformDto platform, RpmBuildOptions options, IReadOnlyList<LinkedRepository> linkedRepositories)
    {
        var (_, platformErrors) = PlatformValidator.Validate(new PlatformRequest(
            platform.Name, platform.DistributionName, platform.DistributionVersion, platform.Arches, platform.NoarchArch, platform.DistTag,
            platform.RpmMacros, platform.Repositories, platform.MockTemplate, platform.TimeoutMinutes, platform.IsActive));
        var errors = platformErrors.Select(e => ($"platform.{e.Key}", e.Value))
            .Concat(Validate(platform, options, linkedRepositories).Select(e => (e.Key, e.Value)))
            .ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid build input: " + string.Join("; ", errors.Select(e => $"{e.Item1}: {string.Join(", ", e.Item2)}")));
        }
    }
}
