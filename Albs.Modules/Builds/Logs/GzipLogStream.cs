using System.IO.Compression;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// A read-only, seekable view of a gzip-compressed log as its plain text, so that HTTP Range
/// requests work on compressed logs too. Its length comes from the gzip trailer; seeking forward
/// decompresses and discards, seeking back starts again from the beginning.
/// </summary>
internal sealed class GzipLogStream : Stream
{
    private readonly FileStream file;
    private GZipStream gzip;
    private long position;

    public GzipLogStream(string path)
    {
        file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024);
        Length = LogFiles.UncompressedLength(file);
        gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
    }

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
        if (target < position)
        {
            gzip.Dispose();
            file.Seek(0, SeekOrigin.Begin);
            gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            position = 0;
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
}
