using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Albs.Modules.Agents.Registry;

/// <summary>
/// Pinned host keys: parsed from known_hosts lines (<c>host type base64 [comment]</c>, or just
/// <c>type base64</c>), stored as <c>type base64</c> lines. The host field is not kept: ssh checks the
/// keys under an alias of the agent's own (<c>HostKeyAlias</c>), so the name or port the admin copied
/// the line from cannot make the pin miss.
/// </summary>
internal static class HostKeys
{
    private static readonly HashSet<string> Types = new(StringComparer.Ordinal)
    {
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    };

    /// <summary>The normalized keys, or an error message.</summary>
    public static (string? Normalized, string? Error) Parse(string text)
    {
        if (text.Length > 16_000)
        {
            return (null, "hostKey is too long.");
        }

        var keys = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith('@'))
            {
                return (null, "hostKey: markers such as @cert-authority or @revoked are not supported; pin the host's own keys.");
            }

            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var at = Types.Contains(fields[0]) ? 0 : 1;
            if (fields.Length < at + 2 || !Types.Contains(fields[at]))
            {
                return (null, $"hostKey: '{Shorten(line)}' is not a known_hosts line with a supported key type ({string.Join(", ", Types)}).");
            }

            if (!BlobMatches(fields[at], fields[at + 1]))
            {
                return (null, $"hostKey: the {fields[at]} key is not valid base64 of a {fields[at]} public key.");
            }

            var key = fields[at] + " " + fields[at + 1];
            if (!keys.Contains(key))
            {
                keys.Add(key);
            }
        }

        return keys.Count == 0 ? (null, "hostKey has no key line.") : (string.Join('\n', keys), null);
    }

    /// <summary><c>SHA256:…</c> fingerprints (as <c>ssh-keygen -l</c> prints them) of normalized keys.</summary>
    public static IReadOnlyList<string> Fingerprints(string normalized) =>
        [.. normalized.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => Fingerprint(line.Split(' ')[1]))];

    public static string Fingerprint(string base64) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(Convert.FromBase64String(base64))).TrimEnd('=');

    /// <summary>known_hosts content for <paramref name="alias"/>.</summary>
    public static string KnownHosts(string alias, string normalized) =>
        string.Concat(normalized.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => $"{alias} {line}\n"));

    /// <summary>The blob decodes and starts with its own type name, as every SSH public key does.</summary>
    private static bool BlobMatches(string type, string base64)
    {
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return false;
        }

        if (blob.Length < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(blob);
        return length == type.Length && blob.Length >= 4 + type.Length && Encoding.ASCII.GetString(blob, 4, type.Length) == type;
    }

    private static string Shorten(string line) => line.Length <= 40 ? line : line[..40] + "…";
}
