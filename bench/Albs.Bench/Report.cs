using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Albs.Bench;

/// <summary>A goal on a figure's value (or on its ratio to the baseline): <c>value &lt; limit</c> or <c>value ≤ limit</c>.</summary>
internal sealed record Goal(string Text, double Limit, bool Inclusive, bool OnRatio = false)
{
    public static Goal Below(double limit, string unit) => new($"< {Format(limit)} {unit}", limit, Inclusive: false);

    public static Goal RatioAtMost(double limit) => new($"ratio ≤ {Format(limit)}", limit, Inclusive: true, OnRatio: true);

    public bool? IsMet(double value, double? ratio)
    {
        var subject = OnRatio ? ratio : value;
        return subject is not { } x ? null : Inclusive ? x <= Limit : x < Limit;
    }

    private static string Format(double x) => x.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>
/// One line of the results table. <see cref="Kind"/> is <c>measured</c>, or <c>reference</c> for a
/// figure that was not measured here (stated from outside, e.g. a polling interval).
/// </summary>
internal sealed record Figure(
    string Benchmark,
    string Name,
    double Value,
    string Unit,
    Goal? Goal = null,
    double? Baseline = null,
    string? BaselineName = null,
    string Kind = "measured",
    string? Note = null)
{
    public double? Ratio => Baseline is > 0 ? Value / Baseline : null;

    public bool? GoalMet => Goal?.IsMet(Value, Ratio);
}

/// <summary>What one benchmark produced: its figures, and details for the JSON file (samples, breakdowns).</summary>
internal sealed class BenchmarkResult(string name)
{
    public string Name { get; } = name;

    /// <summary><c>ok</c>, <c>unavailable</c> (the feature it measures is missing) or <c>failed</c>.</summary>
    public string Status { get; set; } = "ok";

    public string? Error { get; set; }

    public List<Figure> Figures { get; } = [];

    public Dictionary<string, object?> Details { get; } = new(StringComparer.Ordinal);

    public List<string> Notes { get; } = [];
}

/// <summary>The results table on the console, and the same figures as JSON.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Table(IEnumerable<BenchmarkResult> results)
    {
        string[] header = ["benchmark", "figure", "measured", "goal", "met", "baseline", "ratio"];
        var rows = new List<string[]>();
        foreach (var result in results)
        {
            if (result.Status != "ok")
            {
                rows.Add([result.Name, $"{result.Status.ToUpperInvariant()} (see below)", "", "", "", "", ""]);
            }

            foreach (var f in result.Figures)
            {
                var name = f.Kind == "reference" ? $"{f.Name} [REFERENCE, not measured]" : f.Name;
                rows.Add([
                    f.Benchmark,
                    name,
                    Number(f.Value, f.Unit),
                    f.Goal?.Text ?? "",
                    f.GoalMet switch { true => "yes", false => "NO", null => "" },
                    f.Baseline is { } b ? $"{Number(b, f.Unit)} ({f.BaselineName})" : "",
                    f.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "",
                ]);
            }
        }

        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((c, i) => i is 2 or 6 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        Line(header);
        Line([.. widths.Select(w => new string('-', w))]);
        rows.ForEach(Line);
        foreach (var result in results.Where(r => r.Status != "ok"))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{result.Name} {result.Status.ToUpperInvariant()}: {result.Error}");
        }

        return text.ToString();
    }

    public static async Task WriteJsonAsync(string path, BenchRun run)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(run, Json));
    }

    public static string Number(double value, string unit) => unit switch
    {
        "s" => value.ToString("0.000", CultureInfo.InvariantCulture) + " s",
        "ms" => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        "x" => value.ToString("0.00", CultureInfo.InvariantCulture) + "×",
        "" => value.ToString("0.###", CultureInfo.InvariantCulture),
        _ => value.ToString("0.###", CultureInfo.InvariantCulture) + " " + unit,
    };
}

/// <summary>The JSON file: when, where, with what, and every benchmark's result.</summary>
internal sealed record BenchRun(
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string Command,
    string? Commit,
    MachineInfo Machine,
    BenchOptions Options,
    IReadOnlyList<BenchmarkResult> Results);

internal sealed record MachineInfo(int Cores, string Os, string Runtime, string? LoadBefore, string? LoadAfter)
{
    public static string? LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;
}
