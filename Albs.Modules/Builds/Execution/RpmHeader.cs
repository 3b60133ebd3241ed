using Albs.Modules.Builds.Planning;
using Albs.Modules.Common.Processes;

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

/// <summary>Reads RPM headers with <c>rpm -qp --queryformat</c>.</summary>
internal sealed class RpmHeader(IProcessRunner processes)
{
    private const string Format =
        "%{NAME}\\n%{EPOCH}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n%{SOURCERPM}\\n[%{EXCLUSIVEARCH} ]\\n[%{EXCLUDEARCH} ]\\n[%{BUILDARCHS} ]\\n";

    public async Task<RpmInfo> ReadAsync(string path, CancellationToken ct)
    {
        var result = await processes.RunCapturedAsync(
            new ProcessSpec("rpm", ["-qp", "--nosignature", "--nodigest", "--queryformat", Format, "--", path]) { Timeout = TimeSpan.FromMinutes(1) }, ct);
        if (!result.Succeeded)
        {
            throw new InvalidDataException($"not a readable RPM: {result.StandardError.Trim()}");
        }

        return Parse(result.StandardOutput);
    }

    internal static RpmInfo Parse(string output)
    {
        var lines = output.Split('\n');
        if (lines.Length < 9)
        {
            throw new InvalidDataException("unexpected rpm query output");
        }

        static string? Value(string s) => s is "(none)" or "" ? null : s;
        static IReadOnlyList<string> List(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (name, epoch, version, release) = (lines[0], Value(lines[1]), lines[2], lines[3]);
        // A source package is the one that names no source package of its own.
        var isSource = Value(lines[5]) is null;
        var arch = isSource ? BuildPlanner.SrcArch : lines[4];
        var evr = epoch is null ? $"{version}-{release}" : $"{epoch}:{version}-{release}";
        return new RpmInfo(name, $"{name}-{evr}.{arch}", arch, isSource ? null : Value(lines[5]), List(lines[6]), List(lines[7]), List(lines[8]));
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
}
