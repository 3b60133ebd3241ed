using Albs.Modules.Identity.Contracts;

namespace Albs.Web.Components.Shared;

/// <summary>What a page says after a form post: a success or the reason it was refused.</summary>
/// <param name="Text">The sentence shown.</param>
/// <param name="IsError">Shown as an error (red) rather than a success (green).</param>
/// <param name="FieldErrors">Per-field messages of a 400 result, keyed as the API keys them (<c>userName</c>, <c>repositories[0].url</c>).</param>
public sealed record PageMessage(string Text, bool IsError, IReadOnlyDictionary<string, string[]>? FieldErrors = null)
{
    /// <summary>A success, shown in green.</summary>
    public static PageMessage Success(string text) => new(text, false);

    /// <summary>A refusal or a mistake, shown in red, with per-field messages when given.</summary>
    public static PageMessage Failure(string text, IReadOnlyDictionary<string, string[]>? fieldErrors = null) => new(text, true, fieldErrors);

    /// <summary>
    /// The message for a refused command: 401 asks to sign in, 403 says "You may not <paramref name="action"/>" with
    /// the service's reason, 400 points to the fields, anything else repeats the service's words.
    /// </summary>
    public static PageMessage Refused<T>(CommandResult<T> result, string action)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.StatusCode switch
        {
            StatusCodes.Status401Unauthorized => Failure("Sign in first."),
            StatusCodes.Status403Forbidden => Failure($"You may not {action}." + (string.IsNullOrWhiteSpace(result.Error) ? "" : $" {result.Error}")),
            StatusCodes.Status400BadRequest => Failure(
                "Please correct the marked fields." + (result.Errors is { Count: > 0 } ? "" : $" {result.Error}"),
                result.Errors),
            StatusCodes.Status404NotFound => Failure(result.Error ?? "Not found."),
            _ => Failure(result.Error ?? $"Could not {action} (status {result.StatusCode})."),
        };
    }

    /// <summary>The messages of the fields whose key is <paramref name="field"/> or starts with it followed by '.' or '[' (ignoring case).</summary>
    public IEnumerable<string> For(string field)
    {
        if (FieldErrors is null)
        {
            yield break;
        }

        foreach (var (key, messages) in FieldErrors)
        {
            var exact = string.Equals(key, field, StringComparison.OrdinalIgnoreCase);
            var nested = key.Length > field.Length && key.StartsWith(field, StringComparison.OrdinalIgnoreCase) && key[field.Length] is '.' or '[';
            if (!exact && !nested)
            {
                continue;
            }

            foreach (var message in messages)
            {
                yield return exact ? message : $"{key[field.Length..].TrimStart('.')}: {message}";
            }
        }
    }

    /// <summary>Field messages not shown beside any of <paramref name="shownFields"/>, so none is lost.</summary>
    public IEnumerable<string> Others(params string[] shownFields) =>
        FieldErrors is null
            ? []
            : FieldErrors
                .Where(e => !shownFields.Any(f => string.Equals(e.Key, f, StringComparison.OrdinalIgnoreCase)
                    || (e.Key.Length > f.Length && e.Key.StartsWith(f, StringComparison.OrdinalIgnoreCase) && e.Key[f.Length] is '.' or '[')))
                .SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"));
}
