using System.Net;
using System.Text.RegularExpressions;
using Albs.Modules.Agents.Contracts;

namespace Albs.Modules.Agents.Registry;

/// <summary>Field rules of the registration API; errors are keyed by the JSON field name.</summary>
internal static partial class AgentValidation
{
    public const string DefaultWorkDirectory = "albs";

    public static bool IsName(string? name) => name is not null && NamePattern().IsMatch(name);

    public static void Name(string? name, Dictionary<string, string[]> errors)
    {
        if (!IsName(name))
        {
            errors["name"] = ["name must match ^[a-z0-9][a-z0-9._-]{0,62}$."];
        }
    }

    /// <summary>A host name (letters, digits, hyphens, dots) or an IP address: nothing ssh could read as an option or a shell could interpret.</summary>
    public static void Host(string? host, Dictionary<string, string[]> errors)
    {
        var ok = host is not null && (HostNamePattern().IsMatch(host) || (IpPattern().IsMatch(host) && IPAddress.TryParse(host, out _)));
        if (!ok)
        {
            errors["host"] = ["host must be a host name or an IP address (no leading '-', spaces or shell characters)."];
        }
    }

    public static void Port(int? port, Dictionary<string, string[]> errors)
    {
        if (port is < 1 or > 65535)
        {
            errors["port"] = ["port must be between 1 and 65535."];
        }
    }

    public static void User(string? user, Dictionary<string, string[]> errors)
    {
        if (user is null || !UserPattern().IsMatch(user))
        {
            errors["user"] = ["user must match ^[a-z_][a-z0-9_.-]{0,31}$."];
        }
    }

    public static void Arches(IReadOnlyList<string>? arches, Dictionary<string, string[]> errors)
    {
        if (arches is null || arches.Count == 0 || arches.Any(a => !AgentArches.All.Contains(a)) || arches.Distinct().Count() != arches.Count)
        {
            errors["arches"] = [$"arches must be a non-empty list of distinct names from: {string.Join(", ", AgentArches.All)}."];
        }
    }

    public static void Slots(int? slots, Dictionary<string, string[]> errors)
    {
        if (slots is < 1 or > 64)
        {
            errors["slots"] = ["slots must be between 1 and 64."];
        }
    }

    public static void WorkDirectory(string? path, Dictionary<string, string[]> errors)
    {
        if (path is null)
        {
            return;
        }

        if (path.Length is 0 or > 1024 || path.StartsWith('-') || path.Any(char.IsControl)
            || path.Split('/').Contains(".."))
        {
            errors["workDirectory"] = ["workDirectory must be a path of at most 1024 characters without control characters, '..' or a leading '-'."];
        }
    }

    /// <summary>Exactly one key source when <paramref name="required"/>; at most one otherwise.</summary>
    public static void Key(string? privateKey, string? privateKeyPath, bool required, Dictionary<string, string[]> errors)
    {
        if (privateKey is not null && privateKeyPath is not null)
        {
            errors["privateKey"] = ["Give exactly one of privateKey and privateKeyPath."];
            return;
        }

        if (privateKey is null && privateKeyPath is null)
        {
            if (required)
            {
                errors["privateKey"] = ["Give exactly one of privateKey and privateKeyPath."];
            }

            return;
        }

        if (privateKey is not null && PrivateKeys.Validate(privateKey) is { } keyError)
        {
            errors["privateKey"] = [keyError];
        }

        if (privateKeyPath is not null)
        {
            if (!KeyPathPattern().IsMatch(privateKeyPath) || privateKeyPath.Split('/').Contains(".."))
            {
                errors["privateKeyPath"] = ["privateKeyPath must be an absolute path of letters, digits and . _ - + @ /."];
            }
            else if (!File.Exists(privateKeyPath))
            {
                errors["privateKeyPath"] = ["privateKeyPath does not name a file on the server."];
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex HostNamePattern();

    [GeneratedRegex("^[0-9A-Fa-f:.]{2,45}$")]
    private static partial Regex IpPattern();

    [GeneratedRegex("^[a-z_][a-z0-9_.-]{0,31}$")]
    private static partial Regex UserPattern();

    [GeneratedRegex("^/[A-Za-z0-9._+@/-]{1,1023}$")]
    private static partial Regex KeyPathPattern();
}
