using System.IO.Compression;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// A read-only, seekable view of a gzip-compressed log as its plain text, so that HTTP Range
/// requests and the log viewer's slices work on compressed logs too. For logs in the member layout of
/// <see cref="GzipMembers"/> the length is the sum of the members' plain lengths and a seek goes
/// straight to the member holding the offset, decompressing only from there; reading the tail of a
/// 100 MB log decompresses at most a member and a bit. Logs compressed as a single gzip stream (before
/// that layout) take their length from the gzip trailer; seeking forward decompresses and discards,
/// seeking back starts again from the beginning.
/// </summary>
internal sealed class GzipLogStream : Stream
{
    private readonly FileStream file;
    private readonly CountingStream counted;
    private readonly long[] plainStarts;
    private readonly long[] compressedStarts;
    private readonly long headerBytes;
    private GZipStream gzip;
    private long position;

    public GzipLogStream(string path)
    {
        // Unbuffered: the decompressor reads in chunks of its own, and every byte read is counted.
        file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0);
        try
        {
            if (GzipMembers.ReadIndex(file.SafeFileHandle, ref headerBytes) is { } index)
            {
                (plainStarts, compressedStarts, Length) = index;
            }
            else
            {
                plainStarts = [0];
                compressedStarts = [0];
                Length = LogFiles.UncompressedLength(file);
                headerBytes += 4;
                Indexed = false;
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }

        counted = new CountingStream(file);
        gzip = new GZipStream(counted, CompressionMode.Decompress, leaveOpen: true);
    }

    /// <summary>Whether the file is in the member layout (false for single-stream logs of old).</summary>
    public bool Indexed { get; } = true;

    /// <summary>Bytes read from the compressed file so far, headers included (for tests and diagnostics).</summary>
    public long CompressedBytesRead => headerBytes + counted.BytesRead;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = gzip.Read(buffer);
        position += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await gzip.ReadAsync(buffer, cancellationToken);
        position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        var member = MemberOf(target);
        if (target < position || member != MemberOf(position))
        {
            // Into the member holding the target (always the first one for an old single-stream log).
            gzip.Dispose();
            file.Seek(compressedStarts[member], SeekOrigin.Begin);
            gzip = new GZipStream(counted, CompressionMode.Decompress, leaveOpen: true);
            position = plainStarts[member];
        }

        var skip = new byte[16 * 1024];
        while (position < target)
        {
            if (Read(skip.AsSpan(0, (int)Math.Min(skip.Length, target - position))) == 0)
            {
                break;
            }
        }

        return position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            gzip.Dispose();
            file.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The last member starting at or before <paramref name="offset"/>.</summary>
    private int MemberOf(long offset)
    {
        var found = Array.BinarySearch(plainStarts, offset);
        return found >= 0 ? found : Math.Max(0, ~found - 1);
    }

    /// <summary>Counts the bytes the decompressor takes from the file.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            BytesRead += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            BytesRead += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
