using System.Globalization;

namespace Albs.Modules.Common.Persistence;

/// <summary>
/// Hand-written SQL whose values are all parameters: a list of values becomes placeholders
/// (<c>{6}, {7}, …</c>) for <see cref="System.Runtime.CompilerServices.FormattableStringFactory"/>, so
/// only placeholders ever go into the statement's text.
/// </summary>
internal static class SqlParameters
{
    /// <summary>Appends <paramref name="values"/> to <paramref name="arguments"/> and returns their placeholders, comma-separated.</summary>
    public static string Add<T>(List<object> arguments, IEnumerable<T> values)
        where T : notnull =>
        string.Join(", ", values.Select(value =>
        {
            arguments.Add(value);
            return "{" + (arguments.Count - 1).ToString(CultureInfo.InvariantCulture) + "}";
        }));
}
