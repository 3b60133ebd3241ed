using System.Globalization;

namespace Albs.Web.Components.Pages.Admin;

/// <summary>The agent forms' fields as text (numbers too, so a wrong entry is answered beside its field).</summary>
internal sealed class AgentForm
{
    public string? Name { get; set; }

    public string? Host { get; set; }

    public string? Port { get; set; }

    public string? User { get; set; }

    public string? PrivateKey { get; set; }

    public string? PrivateKeyPath { get; set; }

    public string? HostKey { get; set; }

    public string? Arches { get; set; }

    public string? Slots { get; set; }

    public string? WorkDirectory { get; set; }

    /// <summary>False unless ticked (an unticked checkbox posts nothing).</summary>
    public bool Enabled { get; set; }

    /// <summary>False unless ticked.</summary>
    public bool Maintenance { get; set; }

    public static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>Arches separated by spaces or commas; null when none is given.</summary>
    public static IReadOnlyList<string>? List(string? text) =>
        (text ?? "").Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } words ? words : null;

    /// <summary>The number in <paramref name="text"/>, null when empty, or an error for <paramref name="field"/>.</summary>
    public static int? Number(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        errors[field] = ["must be a whole number"];
        return null;
    }
}
