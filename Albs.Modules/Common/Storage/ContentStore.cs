using System.Security.Cryptography;

namespace Albs.Modules.Common.Storage;

/// <summary>
/// Files stored by their SHA-256 under <c>&lt;data&gt;/sha256/ab/cdef…</c>. A file is verified
/// before it is added and moved into place atomically, so the store never holds a partial or
/// mislabelled file, and the same content is stored once however often it is added.
/// </summary>
public sealed class ContentStore(DataDirectory data)
{
    /// <summary>Moves <paramref name="file"/> into the store if its SHA-256 is <paramref name="expectedSha256"/>.</summary>
    /// <returns>The stored file's path.</returns>
    /// <exception cref="InvalidDataException">The content does not match the expected checksum (the file is deleted).</exception>
    public async Task<string> AddAsync(string file, string expectedSha256, CancellationToken cancellationToken)
    {
        var actual = await HashAsync(file, cancellationToken);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(file);
            throw new InvalidDataException($"checksum mismatch: expected sha256 {expectedSha256}, got {actual}");
        }

        var target = PathOf(actual);
        if (File.Exists(target))
        {
            File.Delete(file);
            return target;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(file, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Someone stored the same content at the same moment: theirs is identical.
            File.Delete(file);
        }

        return target;
    }

    /// <summary>Where content with this hash is (or would be) stored.</summary>
    public string PathOf(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit))
        {
            throw new ArgumentException("not a sha256 hex digest", nameof(sha256));
        }

        var hash = sha256.ToLowerInvariant();
        return data.Combine("sha256", hash[..2], hash[2..]);
    }

    public static async Task<string> HashAsync(string file, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
