using System.Buffers;
using Albs.Modules.Common.Storage;

namespace Albs.Modules.Builds.Lookaside;

/// <summary>
/// The server's lookaside: verified files under <c>&lt;data&gt;/lookaside/&lt;hashtype&gt;/&lt;hash&gt;</c>,
/// both those uploaded to it and those fetched from <c>Builds:LookasideUrl</c> (a cache). A file is
/// streamed to a temporary file while its checksum is computed and renamed into place only when it
/// matches, so the store never holds a partial or mislabelled file; an existing file is never replaced.
/// </summary>
internal sealed class LookasideStore(DataDirectory data)
{
    private const int BufferSize = 128 * 1024;

    /// <summary>Where the file with this checksum is (or would be) kept.</summary>
    /// <exception cref="ArgumentException">Not a supported type or not a digest of it.</exception>
    public string PathOf(string hashType, string hash) =>
        LookasideHash.Validate(hashType, hash) is { } error
            ? throw new ArgumentException(error, nameof(hash))
            : data.Combine("lookaside", hashType, hash.ToLowerInvariant());

    public bool Contains(string hashType, string hash) => File.Exists(PathOf(hashType, hash));

    /// <summary>Stores <paramref name="content"/> if its checksum is <paramref name="hash"/>.</summary>
    /// <returns>True if the file was added; false if the store already held it.</returns>
    /// <exception cref="LookasideException">
    /// <see cref="LookasideFailure.Mismatch"/> (message: expected and actual digest) or
    /// <see cref="LookasideFailure.TooLarge"/>; nothing is kept.
    /// </exception>
    public async Task<bool> AddAsync(Stream content, string hashType, string hash, long maxBytes, CancellationToken ct)
    {
        var target = PathOf(hashType, hash);
        var temporary = data.Combine("lookaside", "tmp", $"{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var digest = LookasideHash.Create(hashType);
            await using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), ct)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                    {
                        throw new LookasideException(LookasideFailure.TooLarge, $"larger than the limit of {maxBytes} bytes");
                    }

                    digest.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }

            var actual = Convert.ToHexStringLower(digest.GetHashAndReset());
            if (!string.Equals(actual, hash, StringComparison.OrdinalIgnoreCase))
            {
                throw new LookasideException(LookasideFailure.Mismatch, $"checksum mismatch: expected {hashType} {hash.ToLowerInvariant()}, got {actual}");
            }

            if (File.Exists(target))
            {
                return false;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                File.Move(temporary, target, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(target))
            {
                // Stored by someone else at the same moment; the checksum says it is the same file.
                return false;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            File.Delete(temporary);
        }
    }
}
