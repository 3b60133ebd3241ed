using System.Globalization;
using Albs.Modules.Platforms.Contracts;

namespace Albs.Web.Components.Pages.Admin;

/// <summary>
/// The platform form's fields as text, and their conversion to and from <see cref="PlatformRequest"/>.
/// Lists are edited in simple line formats, documented beside the fields:
/// arches separated by spaces or commas; one rpm macro per line as <c>name = value</c>; one repository
/// per line as <c>name url [arch,arch]</c>; empty lines and lines starting with <c>#</c> are skipped.
/// </summary>
internal sealed class PlatformForm
{
    public string? Name { get; set; }

    public string? DistributionName { get; set; }

    public string? DistributionVersion { get; set; }

    public string? Arches { get; set; }

    public string? NoarchArch { get; set; }

    public string? DistTag { get; set; }

    public string? RpmMacros { get; set; }

    public string? Repositories { get; set; }

    public string? MockTemplate { get; set; }

    public string? TimeoutMinutes { get; set; }

    /// <summary>False unless the box is ticked: an unticked checkbox posts nothing.</summary>
    public bool IsActive { get; set; }

    public static PlatformForm From(PlatformDto platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        return new()
        {
            Name = platform.Name,
            DistributionName = platform.DistributionName,
            DistributionVersion = platform.DistributionVersion,
            Arches = string.Join(' ', platform.Arches),
            NoarchArch = platform.NoarchArch,
            DistTag = platform.DistTag,
            RpmMacros = string.Join('\n', platform.RpmMacros.Select(m => $"{m.Key} = {m.Value}")),
            Repositories = string.Join('\n', platform.Repositories.Select(r =>
                r.Arches is { Count: > 0 } arches ? $"{r.Name} {r.Url} {string.Join(',', arches)}" : $"{r.Name} {r.Url}")),
            MockTemplate = platform.MockTemplate,
            TimeoutMinutes = platform.TimeoutMinutes.ToString(CultureInfo.InvariantCulture),
            IsActive = platform.IsActive,
        };
    }

    /// <summary>The request, or null with the fields whose text could not be read (keyed as the API keys them).</summary>
    public (PlatformRequest? Request, Dictionary<string, string[]> Errors) ToRequest()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var macros = new Dictionary<string, string>(StringComparer.Ordinal);
        var macroProblems = new List<string>();
        foreach (var (number, line) in Lines(RpmMacros))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? line[..equals].Trim() : "";
            if (name.Length == 0)
            {
                macroProblems.Add($"line {number}: write name = value");
            }
            else if (!macros.TryAdd(name, line[(equals + 1)..].Trim()))
            {
                macroProblems.Add($"line {number}: macro '{name}' is given twice");
            }
        }

        var repositories = new List<PlatformRepositoryDto>();
        var repositoryProblems = new List<string>();
        foreach (var (number, line) in Lines(Repositories))
        {
            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length is < 2 or > 3)
            {
                repositoryProblems.Add($"line {number}: write name url, or name url arch,arch");
                continue;
            }

            repositories.Add(new(words[0], words[1], words.Length == 3 ? words[2].Split(',', StringSplitOptions.RemoveEmptyEntries) : null));
        }

        int? timeout = null;
        if (!string.IsNullOrWhiteSpace(TimeoutMinutes))
        {
            if (int.TryParse(TimeoutMinutes.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
            {
                timeout = minutes;
            }
            else
            {
                errors["timeoutMinutes"] = ["must be a whole number of minutes"];
            }
        }

        if (macroProblems.Count > 0)
        {
            errors["rpmMacros"] = [.. macroProblems];
        }

        if (repositoryProblems.Count > 0)
        {
            errors["repositories"] = [.. repositoryProblems];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var request = new PlatformRequest(
            Blank(Name),
            Blank(DistributionName),
            Blank(DistributionVersion),
            (Arches ?? "").Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries),
            Blank(NoarchArch),
            Blank(DistTag),
            macros,
            repositories,
            MockTemplate ?? "",
            timeout,
            IsActive);
        return (request, errors);
    }

    private static IEnumerable<(int Number, string Line)> Lines(string? text)
    {
        var lines = (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                yield return (i + 1, line);
            }
        }
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
