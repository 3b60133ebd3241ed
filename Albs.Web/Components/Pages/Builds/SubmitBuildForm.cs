using System.Globalization;
using System.Text.RegularExpressions;
using Albs.Modules.Builds.Contracts;

namespace Albs.Web.Components.Pages.Builds;

/// <summary>The fields of the submit-build form, as posted.</summary>
public sealed class SubmitBuildInput
{
    public string? Product { get; set; }

    /// <summary>One platform a line: <c>AlmaLinux-9: x86_64 aarch64</c>.</summary>
    public string? Platforms { get; set; }

    /// <summary>One source a line: <c>git-url ref</c> or an SRPM URL.</summary>
    public string? Sources { get; set; }

    public string? With { get; set; }

    public string? Without { get; set; }

    /// <summary>One definition a line: <c>name value</c>.</summary>
    public string? Defines { get; set; }

    public string? LinkedBuilds { get; set; }

    public string? Priority { get; set; }

    public bool Independent { get; set; }
}

/// <summary>
/// Turns the form's text fields into the API's request. Only the form's own syntax is checked here
/// (a line without an architecture, a priority that is no number); everything else is the build
/// service's validation, the same as the API's, whose messages name the line they are about.
/// </summary>
public static partial class SubmitBuildForm
{
    public static (SubmitBuildRequest? Request, Dictionary<string, string[]> Errors) Parse(SubmitBuildInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        var platforms = new List<BuildPlatformRequest>();
        foreach (var (line, number) in Lines(input.Platforms))
        {
            var parts = line.Split(':', 2);
            var arches = parts.Length == 2 ? Words(parts[1]) : [];
            if (parts.Length != 2 || parts[0].Trim().Length == 0 || arches.Count == 0)
            {
                Error("platforms", $"line {number}: write the platform, a colon and its architectures (AlmaLinux-9: x86_64 aarch64)");
                continue;
            }

            platforms.Add(new BuildPlatformRequest(parts[0].Trim(), arches));
        }

        var sources = new List<BuildSourceRequest>();
        foreach (var (line, number) in Lines(input.Sources))
        {
            var words = Words(line);
            if (words.Count == 1 && words[0].EndsWith(".src.rpm", StringComparison.OrdinalIgnoreCase))
            {
                sources.Add(new BuildSourceRequest(null, null, words[0]));
            }
            else if (words.Count == 2)
            {
                sources.Add(new BuildSourceRequest(words[0], words[1]));
            }
            else
            {
                Error("tasks", $"line {number}: write a git URL and a ref separated by a space, or an SRPM URL ending in .src.rpm");
            }
        }

        var defines = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, number) in Lines(input.Defines))
        {
            var match = DefineLine().Match(line);
            if (!match.Success)
            {
                Error("mockOptions", $"line {number} of the definitions: write a name and a value separated by a space");
                continue;
            }

            defines[match.Groups[1].Value] = match.Groups[2].Value;
        }

        var linked = new List<long>();
        foreach (var word in Words(input.LinkedBuilds))
        {
            if (long.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                linked.Add(id);
            }
            else
            {
                Error("linkedBuilds", $"'{word}' is not a build id");
            }
        }

        var priority = 0;
        if (!string.IsNullOrWhiteSpace(input.Priority) && !int.TryParse(input.Priority, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out priority))
        {
            Error("priority", "enter a whole number from -10 to 10");
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new SubmitBuildRequest(
            platforms,
            sources,
            input.Independent,
            new MockOptionsRequest(Words(input.With), Words(input.Without), defines),
            linked,
            priority,
            string.IsNullOrWhiteSpace(input.Product) ? null : input.Product.Trim()), errors);
    }

    /// <summary>
    /// The service's errors with the form's words: <c>tasks[2].ref</c> becomes "source 3: …" so the
    /// person finds the line in the text box.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]>? Describe(IReadOnlyDictionary<string, string[]>? errors)
    {
        if (errors is null)
        {
            return null;
        }

        var described = new Dictionary<string, string[]>();
        foreach (var (key, messages) in errors)
        {
            var match = IndexedKey().Match(key);
            var field = match.Success ? match.Groups[1].Value : key;
            var texts = match.Success
                ? messages.Select(v => $"{(field == "tasks" ? "source" : "platform")} {int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) + 1}: {v}")
                : messages;
            described[field] = [.. described.GetValueOrDefault(field, []), .. texts];
        }

        return described;
    }

    private static IEnumerable<(string Line, int Number)> Lines(string? text) =>
        (text ?? "").Split('\n').Select((l, i) => (l.Trim(), i + 1)).Where(l => l.Item1.Length > 0);

    private static List<string> Words(string? text) =>
        [.. (text ?? "").Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    [GeneratedRegex(@"^(\S+)\s+(.+)$")]
    private static partial Regex DefineLine();

    [GeneratedRegex(@"^(platforms|tasks)\[(\d+)\]")]
    private static partial Regex IndexedKey();
}
