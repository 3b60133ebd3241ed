using System.Text.Json;
using System.Text.Json.Nodes;
using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;

namespace Albs.Modules.Platforms.Seeding;

/// <summary>The <c>Platforms</c> configuration section.</summary>
internal sealed class PlatformsOptions
{
    public const string SectionName = "Platforms";

    /// <summary>
    /// The definitions file seeded at start. A relative path is looked up in the content root and
    /// then in up to <see cref="PlatformDefinitions.ParentLevels"/> parent directories (the
    /// repository root when running from a checkout). Empty: seed nothing.
    /// </summary>
    public string? DefinitionsFile { get; set; } = "platforms/platforms.json";
}

/// <summary>Reads the platform definitions file: <c>{"platforms": [PlatformRequest, …]}</c>, camelCase.</summary>
internal static class PlatformDefinitions
{
    public const int ParentLevels = 5;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The file to read, or null when a relative path is found nowhere (absolute paths are returned as given).</summary>
    public static string? Resolve(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        for (var (dir, level) = (new DirectoryInfo(contentRoot), 0); dir is not null && level <= ParentLevels; (dir, level) = (dir.Parent, level + 1))
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Parses and validates every definition; throws <see cref="InvalidOperationException"/> naming each problem.</summary>
    public static IReadOnlyList<PlatformSpec> Load(string file)
    {
        List<PlatformRequest> requests;
        try
        {
            var document = JsonNode.Parse(File.ReadAllText(file), documentOptions: new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            requests = [.. (document?["platforms"]?.AsArray() ?? []).Select(ToRequest)];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidOperationException($"Platform definitions file {file} is not valid: {e.Message}", e);
        }

        var specs = new List<PlatformSpec>();
        var problems = new List<string>();
        for (var index = 0; index < requests.Count; index++)
        {
            var (spec, errors) = PlatformValidator.Validate(requests[index]);
            if (spec is null)
            {
                problems.Add($"platforms[{index}] ({requests[index].Name}): " + string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
            }
            else if (specs.Any(s => PlatformRules.NormalizeName(s.Name) == PlatformRules.NormalizeName(spec.Name)))
            {
                problems.Add($"platforms[{index}]: name '{spec.Name}' is defined twice");
            }
            else
            {
                specs.Add(spec);
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"Platform definitions file {file} is invalid: {string.Join(" | ", problems)}");
        }

        return specs;
    }

    /// <summary>One entry; in the file <c>mockTemplate</c> may be an array of lines (readable) instead of one string.</summary>
    private static PlatformRequest ToRequest(JsonNode? entry)
    {
        if (entry is not JsonObject item)
        {
            throw new InvalidOperationException("every entry of 'platforms' must be an object");
        }

        if (item["mockTemplate"] is JsonArray lines)
        {
            item["mockTemplate"] = string.Join('\n', lines.Select(l => l?.GetValue<string>())) + "\n";
        }

        return item.Deserialize<PlatformRequest>(Json) ?? throw new InvalidOperationException("an entry of 'platforms' is null");
    }
}
