using System.Buffers.Binary;
using System.Text;
using Albs.Modules.Builds.Planning;

namespace Albs.Modules.Builds.Execution;

/// <summary>What the server reads from a package's header (never from a spec: specs are not evaluated here).</summary>
internal sealed record RpmInfo(
    string Name,
    string Nevra,
    string Arch,
    string? SourceRpm,
    IReadOnlyList<string> ExclusiveArch,
    IReadOnlyList<string> ExcludeArch,
    IReadOnlyList<string> BuildArchs);

/// <summary>
/// Reads the tags the server needs straight from an RPM file's main header (lead, signature header,
/// main header; the payload is never read), without starting a process: the same values
/// <c>rpm -qp --queryformat</c> prints (<c>RpmHeaderTests</c> compares the two on real packages).
/// The file comes from an agent, so every count and offset is checked before it is used.
/// </summary>
internal static class RpmHeader
{
    private const int LeadSize = 96;
    private const int MaxIndexEntries = 1 << 20;
    private const int MaxDataSize = 256 << 20;

    private const int TagName = 1000;
    private const int TagVersion = 1001;
    private const int TagRelease = 1002;
    private const int TagEpoch = 1003;
    private const int TagArch = 1022;
    private const int TagSourceRpm = 1044;
    private const int TagExcludeArch = 1059;
    private const int TagExclusiveArch = 1061;
    private const int TagBuildArchs = 1089;

    private const int TypeInt32 = 4;
    private const int TypeString = 6;
    private const int TypeStringArray = 8;
    private const int TypeI18nString = 9;

    private static readonly byte[] LeadMagic = [0xED, 0xAB, 0xEE, 0xDB];
    private static readonly byte[] HeaderMagic = [0x8E, 0xAD, 0xE8, 0x01];

    public static async Task<RpmInfo> ReadAsync(string path, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 14, useAsync: true);
        try
        {
            var lead = await ReadExactlyAsync(file, LeadSize, ct);
            if (!lead.AsSpan(0, 4).SequenceEqual(LeadMagic))
            {
                throw new InvalidDataException("not an RPM file (no lead)");
            }

            var signature = await ReadHeaderAsync(file, ct);
            var padding = (8 - (signature.DataSize % 8)) % 8;
            await ReadExactlyAsync(file, padding, ct);
            var main = await ReadHeaderAsync(file, ct);
            return FromHeader(main);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("not a readable RPM: the file ends inside its header");
        }
    }

    /// <summary>Why <paramref name="arch"/> is not built for this SRPM, or null when it is.</summary>
    public static string? Exclusion(RpmInfo srpm, string arch, string noarchArch)
    {
        if (srpm.BuildArchs.Count > 0 && srpm.BuildArchs.All(a => a == "noarch"))
        {
            return arch == noarchArch ? null : $"noarch package: built once, on {noarchArch}";
        }

        if (srpm.ExclusiveArch.Count > 0 && !srpm.ExclusiveArch.Contains(arch, StringComparer.Ordinal))
        {
            return $"ExclusiveArch: {string.Join(' ', srpm.ExclusiveArch)}";
        }

        return srpm.ExcludeArch.Contains(arch, StringComparer.Ordinal) ? $"ExcludeArch: {string.Join(' ', srpm.ExcludeArch)}" : null;
    }

    private static RpmInfo FromHeader(Header header)
    {
        var name = header.String(TagName) ?? throw new InvalidDataException("not a readable RPM: its header has no name");
        var version = header.String(TagVersion) ?? throw new InvalidDataException("not a readable RPM: its header has no version");
        var release = header.String(TagRelease) ?? throw new InvalidDataException("not a readable RPM: its header has no release");
        var epoch = header.Int32(TagEpoch);
        var sourceRpm = header.String(TagSourceRpm) is { Length: > 0 } s ? s : null;

        // A source package is the one that names no source package of its own.
        var arch = sourceRpm is null ? BuildPlanner.SrcArch : header.String(TagArch) ?? throw new InvalidDataException("not a readable RPM: its header has no arch");
        var evr = epoch is null ? $"{version}-{release}" : $"{epoch}:{version}-{release}";
        return new RpmInfo(name, $"{name}-{evr}.{arch}", arch, sourceRpm, header.Strings(TagExclusiveArch), header.Strings(TagExcludeArch), header.Strings(TagBuildArchs));
    }

    private static async Task<Header> ReadHeaderAsync(Stream file, CancellationToken ct)
    {
        var intro = await ReadExactlyAsync(file, 16, ct);
        if (!intro.AsSpan(0, 4).SequenceEqual(HeaderMagic))
        {
            throw new InvalidDataException("not a readable RPM: bad header magic");
        }

        var entries = BinaryPrimitives.ReadInt32BigEndian(intro.AsSpan(8));
        var dataSize = BinaryPrimitives.ReadInt32BigEndian(intro.AsSpan(12));
        if (entries is < 1 or > MaxIndexEntries || dataSize is < 0 or > MaxDataSize)
        {
            throw new InvalidDataException($"not a readable RPM: a header claims {entries} entries and {dataSize} bytes");
        }

        var index = await ReadExactlyAsync(file, entries * 16, ct);
        var data = await ReadExactlyAsync(file, dataSize, ct);
        return new Header(index, data);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }

    private sealed class Header(byte[] index, byte[] data)
    {
        public int DataSize => data.Length;

        public string? String(int tag) => Find(tag) is { } e && e.Type is TypeString or TypeI18nString or TypeStringArray
            ? ReadStrings(e.Offset, 1)[0]
            : null;

        public string[] Strings(int tag) => Find(tag) is { } e && e.Type is TypeStringArray or TypeString
            ? ReadStrings(e.Offset, e.Type == TypeString ? 1 : e.Count)
            : [];

        public long? Int32(int tag)
        {
            if (Find(tag) is not { Type: TypeInt32 } e)
            {
                return null;
            }

            if (e.Offset > data.Length - 4 || e.Count < 1)
            {
                throw new InvalidDataException("not a readable RPM: an integer lies outside its header");
            }

            return BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(e.Offset));
        }

        private (int Type, int Offset, int Count)? Find(int tag)
        {
            for (var i = 0; i < index.Length; i += 16)
            {
                if (BinaryPrimitives.ReadInt32BigEndian(index.AsSpan(i)) != tag)
                {
                    continue;
                }

                var type = BinaryPrimitives.ReadInt32BigEndian(index.AsSpan(i + 4));
                var offset = BinaryPrimitives.ReadInt32BigEndian(index.AsSpan(i + 8));
                var count = BinaryPrimitives.ReadInt32BigEndian(index.AsSpan(i + 12));
                if (offset < 0 || offset >= data.Length || count < 0 || count > data.Length)
                {
                    throw new InvalidDataException($"not a readable RPM: tag {tag} lies outside its header");
                }

                return (type, offset, count);
            }

            return null;
        }

        private string[] ReadStrings(int offset, int count)
        {
            var strings = new string[count];
            for (var i = 0; i < count; i++)
            {
                var end = Array.IndexOf(data, (byte)0, offset);
                if (end < 0)
                {
                    throw new InvalidDataException("not a readable RPM: a string runs past its header");
                }

                strings[i] = Encoding.UTF8.GetString(data, offset, end - offset);
                offset = end + 1;
            }

            return strings;
        }
    }
}
