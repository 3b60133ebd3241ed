using System.Buffers.Binary;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Builds;

/// <summary>
/// The server's own RPM header reader against <c>rpm -qp --queryformat</c> on real packages built
/// here by rpmbuild (source and binary, epoch, ExclusiveArch, ExcludeArch, BuildArch), and against
/// damaged files an agent could send.
/// </summary>
public sealed class RpmHeaderTests : IAsyncLifetime
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("albs-rpm-header-");
    private readonly List<string> packages = [];

    public async Task InitializeAsync()
    {
        packages.AddRange(await BuildAsync("plain", "", "x86_64"));
        packages.AddRange(await BuildAsync("epoched", "Epoch: 3\nExclusiveArch: x86_64 aarch64\n", "x86_64"));
        packages.AddRange(await BuildAsync("excluding", "ExcludeArch: s390x ppc64le\n", "x86_64"));
        packages.AddRange(await BuildAsync("scripts", "BuildArch: noarch\n", "x86_64"));
    }

    public Task DisposeAsync()
    {
        root.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Reads_the_same_values_as_rpm_on_source_and_binary_packages()
    {
        packages.Should().HaveCount(8);
        packages.Count(p => p.EndsWith(".src.rpm", StringComparison.Ordinal)).Should().Be(4);
        foreach (var package in packages)
        {
            var native = await RpmHeader.ReadAsync(package, CancellationToken.None);
            var reference = await RpmQueryAsync(package);
            native.Should().BeEquivalentTo(reference, options => options.WithStrictOrdering(), package);
        }

        var epoched = await RpmHeader.ReadAsync(packages.Single(p => Path.GetFileName(p).StartsWith("epoched-", StringComparison.Ordinal) && p.EndsWith(".src.rpm", StringComparison.Ordinal)), CancellationToken.None);
        epoched.Nevra.Should().Be("epoched-3:1.0-1.src");
        epoched.Arch.Should().Be("src");
        epoched.SourceRpm.Should().BeNull();
        epoched.ExclusiveArch.Should().Equal("x86_64", "aarch64");
        var binary = await RpmHeader.ReadAsync(packages.Single(p => Path.GetFileName(p).StartsWith("epoched-", StringComparison.Ordinal) && !p.EndsWith(".src.rpm", StringComparison.Ordinal)), CancellationToken.None);
        binary.Nevra.Should().Be("epoched-3:1.0-1.x86_64");
        binary.SourceRpm.Should().Be("epoched-1.0-1.src.rpm");
        var noarch = await RpmHeader.ReadAsync(packages.Single(p => Path.GetFileName(p).StartsWith("scripts-", StringComparison.Ordinal) && p.EndsWith(".src.rpm", StringComparison.Ordinal)), CancellationToken.None);
        noarch.BuildArchs.Should().Equal("noarch");
        RpmHeader.Exclusion(noarch, "aarch64", "x86_64").Should().Be("noarch package: built once, on x86_64");
    }

    [Fact]
    public async Task Damaged_files_are_refused_with_a_reason()
    {
        var package = await File.ReadAllBytesAsync(packages[0]);

        async Task<string> RefusalAsync(byte[] content)
        {
            var path = Path.Combine(root.FullName, Guid.NewGuid().ToString("N") + ".rpm");
            await File.WriteAllBytesAsync(path, content);
            var read = () => RpmHeader.ReadAsync(path, CancellationToken.None);
            return (await read.Should().ThrowAsync<InvalidDataException>()).Which.Message;
        }

        (await RefusalAsync(System.Text.Encoding.ASCII.GetBytes("#!/bin/sh\n" + string.Concat(Enumerable.Repeat("echo not a package\n", 20))))).Should().Contain("not an RPM file");
        (await RefusalAsync(package[..120])).Should().Contain("ends inside its header");
        (await RefusalAsync([])).Should().Contain("ends inside its header");

        // A signature header claiming a gigantic index is refused before anything is allocated.
        var huge = package.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(96 + 8), int.MaxValue);
        (await RefusalAsync(huge)).Should().Contain("claims");

        // An entry of the main header pointing outside the header's data.
        var outside = package.ToArray();
        var signatureEntries = BinaryPrimitives.ReadInt32BigEndian(package.AsSpan(96 + 8));
        var signatureData = BinaryPrimitives.ReadInt32BigEndian(package.AsSpan(96 + 12));
        var main = 96 + 16 + (signatureEntries * 16) + signatureData + ((8 - (signatureData % 8)) % 8);
        var mainEntries = BinaryPrimitives.ReadInt32BigEndian(package.AsSpan(main + 8));
        for (var i = 0; i < mainEntries; i++)
        {
            var entry = main + 16 + (i * 16);
            if (BinaryPrimitives.ReadInt32BigEndian(package.AsSpan(entry)) == 1000)
            {
                BinaryPrimitives.WriteInt32BigEndian(outside.AsSpan(entry + 8), int.MaxValue - 1);
            }
        }

        (await RefusalAsync(outside)).Should().Contain("tag 1000 lies outside its header");
    }

    /// <summary>What the server read before it had its own reader: rpm's query format, interpreted the same way.</summary>
    private static async Task<RpmInfo> RpmQueryAsync(string path)
    {
        const string format = "%{NAME}\\n%{EPOCH}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n%{SOURCERPM}\\n[%{EXCLUSIVEARCH} ]\\n[%{EXCLUDEARCH} ]\\n[%{BUILDARCHS} ]\\n";
        var result = await new ProcessRunner().RunCapturedAsync(
            new ProcessSpec("rpm", ["-qp", "--nosignature", "--nodigest", "--queryformat", format, "--", path]) { Timeout = TimeSpan.FromMinutes(1) });
        result.Succeeded.Should().BeTrue(result.StandardError);
        var lines = result.StandardOutput.Split('\n');
        static string? Value(string s) => s is "(none)" or "" ? null : s;
        static string[] List(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var source = Value(lines[5]);
        var arch = source is null ? "src" : lines[4];
        var evr = Value(lines[1]) is { } epoch ? $"{epoch}:{lines[2]}-{lines[3]}" : $"{lines[2]}-{lines[3]}";
        return new RpmInfo(lines[0], $"{lines[0]}-{evr}.{arch}", arch, source, List(lines[6]), List(lines[7]), List(lines[8]));
    }

    private async Task<string[]> BuildAsync(string name, string tags, string target)
    {
        var top = root.CreateSubdirectory(name).FullName;
        var spec = Path.Combine(top, $"{name}.spec");
        await File.WriteAllTextAsync(spec, $"""
            Name: {name}
            Version: 1.0
            Release: 1
            Summary: {name} for header tests
            License: MIT
            {tags}
            %description
            {name}

            %install
            mkdir -p %{"{buildroot}"}/usr/share/{name}
            echo {name} > %{"{buildroot}"}/usr/share/{name}/payload

            %files
            /usr/share/{name}/payload

            """);
        var result = await new ProcessRunner().RunCapturedAsync(new ProcessSpec("rpmbuild",
            ["-ba", "--target", target, "--define", $"_topdir {top}", "--define", "debug_package %{nil}", "--", spec])
        { Timeout = TimeSpan.FromMinutes(2) });
        result.Succeeded.Should().BeTrue(result.StandardError);
        return [.. Directory.EnumerateFiles(top, "*.rpm", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
    }
}
