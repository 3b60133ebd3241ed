using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Albs.Modules.Agents.Registry;

/// <summary>
/// Checks that a private key is one ssh can use without a prompt: an OpenSSH (<c>openssh-key-v1</c>)
/// or PEM private key, not protected by a passphrase (BatchMode cannot ask for one).
/// </summary>
internal static partial class PrivateKeys
{
    private const string OpenSshLabel = "OPENSSH PRIVATE KEY";

    /// <summary>An error message, or null when the key is usable.</summary>
    public static string? Validate(string text)
    {
        if (text.Length > 16_000)
        {
            return "privateKey is too long.";
        }

        var match = PemBlock().Match(text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim());
        if (!match.Success)
        {
            return "privateKey must be an OpenSSH or PEM private key (-----BEGIN OPENSSH PRIVATE KEY----- … -----END OPENSSH PRIVATE KEY-----).";
        }

        var label = match.Groups["label"].Value;
        var body = match.Groups["body"].Value;
        if (body.Contains("ENCRYPTED", StringComparison.Ordinal) || label == "ENCRYPTED PRIVATE KEY")
        {
            return "privateKey is protected by a passphrase; Albs needs an unencrypted key (ssh runs without prompts).";
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(string.Concat(body.Split('\n').Where(l => !l.Contains(':', StringComparison.Ordinal))));
        }
        catch (FormatException)
        {
            return "privateKey: the key body is not valid base64.";
        }

        return label == OpenSshLabel ? ValidateOpenSsh(blob) : null;
    }

    /// <summary>Normalized text as ssh expects it in a key file: LF line ends and a final newline.</summary>
    public static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim() + "\n";

    private static string? ValidateOpenSsh(byte[] blob)
    {
        var magic = "openssh-key-v1\0"u8;
        if (blob.Length < magic.Length + 4 || !blob.AsSpan(0, magic.Length).SequenceEqual(magic))
        {
            return "privateKey: not an openssh-key-v1 key.";
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(magic.Length));
        if (length > 64 || blob.Length < magic.Length + 4 + length)
        {
            return "privateKey: not an openssh-key-v1 key.";
        }

        var cipher = Encoding.ASCII.GetString(blob, magic.Length + 4, (int)length);
        return cipher == "none" ? null : "privateKey is protected by a passphrase; Albs needs an unencrypted key (ssh runs without prompts).";
    }

    [GeneratedRegex(@"^-----BEGIN (?<label>(OPENSSH |RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY)-----\n(?<body>[A-Za-z0-9+/=:,\- \n]+?)\n-----END \k<label>-----$")]
    private static partial Regex PemBlock();
}
