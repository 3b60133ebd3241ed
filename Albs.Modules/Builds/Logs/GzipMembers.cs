using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// The layout of compressed logs, in the manner of BGZF: a series of independent gzip members, each
/// holding at most <see cref="MemberPlainLength"/> bytes of plain text, so that the file is one valid
/// gzip stream (gzip -d, zcat and <see cref="GZipStream"/> read concatenated members as one) and yet
/// any offset is reached by decompressing a single member. Each member's header carries an extra
/// field (RFC 1952 FEXTRA, subfield <c>AL</c>) with the member's total length and its plain length, so
/// the index is recovered by hopping from header to header, reading <see cref="HeaderLength"/> bytes
/// per member; no sidecar file has to be kept in step with the log.
/// </summary>
internal static class GzipMembers
{
    /// <summary>The plain text each member holds (the last one may hold less).</summary>
    public const int MemberPlainLength = 1024 * 1024;

    /// <summary>Fixed header: ID1 ID2 CM FLG MTIME(4) XFL OS, XLEN, then SI1 SI2 SLEN and our 8 bytes.</summary>
    public const int HeaderLength = 24;

    private const int GzipHeaderLength = 10;
    private const int TrailerLength = 8;
    private const byte FlagExtra = 0x04;

    /// <summary>Compresses <paramref name="plain"/> into one member and writes it to <paramref name="output"/>.</summary>
    public static async Task WriteMemberAsync(Stream output, ReadOnlyMemory<byte> plain, CancellationToken ct)
    {
        var buffer = new MemoryStream(plain.Length / 2 + 64);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(plain.Span);
        }

        // GZipStream writes a bare 10-byte header (no flags), the deflate data and the 8-byte trailer
        // (CRC-32, length): keep all but the header, which gains the extra field.
        // With nothing written it writes nothing: an empty member is an empty final deflate block
        // (03 00), CRC-32 0 and length 0.
        var raw = buffer.Length > 0
            ? buffer.GetBuffer().AsMemory(0, (int)buffer.Length)
            : new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        if (raw.Length < GzipHeaderLength + TrailerLength || raw.Span[0] != 0x1f || raw.Span[1] != 0x8b || raw.Span[3] != 0)
        {
            throw new InvalidOperationException("Unexpected gzip header from GZipStream.");
        }

        var header = new byte[HeaderLength];
        raw.Span[..GzipHeaderLength].CopyTo(header);
        header[3] = FlagExtra;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), 12);
        header[12] = (byte)'A';
        header[13] = (byte)'L';
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(14), 8);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), checked((uint)(HeaderLength + raw.Length - GzipHeaderLength)));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), checked((uint)plain.Length));
        await output.WriteAsync(header, ct);
        await output.WriteAsync(raw[GzipHeaderLength..], ct);
    }

    /// <summary>
    /// The (plain offset, compressed offset) of every member and the total plain length, read from the
    /// member headers; null when the file is not in this layout (a log compressed as a single gzip
    /// stream before it existed). <paramref name="bytesRead"/> counts the header bytes read.
    /// </summary>
    public static (long[] PlainStarts, long[] CompressedStarts, long PlainLength)? ReadIndex(SafeFileHandle file, ref long bytesRead)
    {
        var fileLength = RandomAccess.GetLength(file);
        var plainStarts = new List<long>();
        var compressedStarts = new List<long>();
        Span<byte> header = stackalloc byte[HeaderLength];
        long compressed = 0, plain = 0;
        while (compressed < fileLength)
        {
            var read = RandomAccess.Read(file, header, compressed);
            bytesRead += read;
            var ours = read == HeaderLength && header[0] == 0x1f && header[1] == 0x8b && header[2] == 8 && header[3] == FlagExtra
                && BinaryPrimitives.ReadUInt16LittleEndian(header[10..]) == 12 && header[12] == 'A' && header[13] == 'L'
                && BinaryPrimitives.ReadUInt16LittleEndian(header[14..]) == 8;
            var memberLength = ours ? BinaryPrimitives.ReadUInt32LittleEndian(header[16..]) : 0;
            if (!ours || memberLength < HeaderLength + TrailerLength + 2 || compressed + memberLength > fileLength)
            {
                if (compressed == 0)
                {
                    return null;
                }

                throw new InvalidDataException($"Corrupt compressed log: no valid member at byte {compressed}.");
            }

            plainStarts.Add(plain);
            compressedStarts.Add(compressed);
            plain += BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            compressed += memberLength;
        }

        return compressed == 0 ? null : ([.. plainStarts], [.. compressedStarts], plain);
    }
}
