using System.Formats.Tar;
using System.Text;
using Albs.Modules.Builds.Lookaside;

namespace Albs.Tests.Builds;

/// <summary>Parsing of dist-git <c>sources</c> and <c>.&lt;package&gt;.metadata</c> files, valid and hostile.</summary>
public sealed class LookasideMetadataTests : IDisposable
{
    private const string Md5 = "0123456789abcdef0123456789abcdef";
    private const string Sha1 = "0123456789abcdef0123456789abcdef01234567";
    private const string Sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly string Sha512 = string.Concat(Enumerable.Repeat("0123456789abcdef", 8));

    private readonly string directory = Directory.CreateTempSubdirectory("albs-lookaside-meta-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void A_fedora_sources_file_lists_files_in_both_formats_with_their_hash_types()
    {
        var files = LookasideMetadata.ParseSources(
            $"SHA512 (bash-5.2.tar.gz) = {Sha512}\n" +
            $"sha256 (bash-5.2-patches.tar.xz) = {Sha256.ToUpperInvariant()}\r\n" +
            "\n" +
            $"{Md5}  bash_1.0+git~1^2@x.tar.bz2\n" +
            $"SHA1 (old.zip) = {Sha1}\n" +
            $"MD5 (older.zip) = {Md5}\n");

        files.Should().Equal(
            new LookasideFile("bash-5.2.tar.gz", "sha512", Sha512),
            new LookasideFile("bash-5.2-patches.tar.xz", "sha256", Sha256),
            new LookasideFile("bash_1.0+git~1^2@x.tar.bz2", "md5", Md5),
            new LookasideFile("old.zip", "sha1", Sha1),
            new LookasideFile("older.zip", "md5", Md5));
    }

    [Fact]
    public void An_empty_sources_file_lists_nothing() =>
        LookasideMetadata.ParseSources("\n  \n").Should().BeEmpty();

    [Fact]
    public void A_metadata_file_lists_sha1_and_sha256_files_with_or_without_the_SOURCES_prefix()
    {
        var files = LookasideMetadata.ParseMetadata(".bash.metadata", $"{Sha1} SOURCES/bash-5.1.8.tar.gz\n{Sha256} bash-doc.tar.xz\n");

        files.Should().Equal(new LookasideFile("bash-5.1.8.tar.gz", "sha1", Sha1), new LookasideFile("bash-doc.tar.xz", "sha256", Sha256));
    }

    public static TheoryData<string, string> HostileSourcesLines => new()
    {
        { $"SHA512 (../etc/passwd) = {Sha512}", "'../etc/passwd' is not a plain file name" },
        { $"SHA512 (a/b.tar.gz) = {Sha512}", "'a/b.tar.gz' is not a plain file name" },
        { $"SHA512 (SOURCES/b.tar.gz) = {Sha512}", "'SOURCES/b.tar.gz' is not a plain file name" },
        { $"SHA512 (/etc/passwd) = {Sha512}", "'/etc/passwd' is not a plain file name" },
        { $"SHA512 (..) = {Sha512}", "'..' is not a plain file name" },
        { $"SHA512 (.bashrc) = {Sha512}", "'.bashrc' is not a plain file name" },
        { $"SHA512 (-rf) = {Sha512}", "'-rf' is not a plain file name" },
        { $"SHA512 (a b.tar.gz) = {Sha512}", "'a b.tar.gz' is not a plain file name" },
        { $"SHA512 ($(reboot).tar.gz) = {Sha512}", "'$(reboot).tar.gz' is not a plain file name" },
        { $"SHA512 (a'b) = {Sha512}", "'a'b' is not a plain file name" },
        { $"SHA512 (a\tb) = {Sha512}", "'a?b' is not a plain file name" },
        { $"SHA512 (a\\b) = {Sha512}", "'a\\b' is not a plain file name" },
        { $"SHA512 (ä.tar.gz) = {Sha512}", "'?.tar.gz' is not a plain file name" },
        { $"SHA512 () = {Sha512}", "'' is not a plain file name" },
        { $"SHA512 ({new string('a', 256)}) = {Sha512}", "'aaaa*' is not a plain file name" },
        { $"SHA512 (a) = {Sha256}", $"'{Sha256}' is not a sha512 digest of 128 hex digits" },
        { $"SHA512 (a) = {Sha512[..^1]}g", "* is not a sha512 digest of 128 hex digits" },
        { $"SHA512 (a) = {Sha512} ", "* is not a sha512 digest of 128 hex digits" },
        { $"SHA384 (a) = {Sha512[..96]}", "'sha384' is not a supported hash type (md5, sha1, sha256 or sha512)" },
        { $"CRC32 (a) = 12345678", "'crc32' is not a supported hash type *" },
        { $"{Sha512}  a.tar.gz", "* is not an md5 digest of 32 hex digits" },
        { $"{Md5} a.tar.gz", "expected 'SHA512 (file) = <hex>' or '<md5 hex>  file', found *" },
        { $"{Md5}   a.tar.gz", "' a.tar.gz' is not a plain file name" },
        { $"{Md5}  ../a.tar.gz", "'../a.tar.gz' is not a plain file name" },
        { "SHA512 (a.tar.gz)", "expected *" },
        { "just words", "expected *" },
        { "#comment", "expected *" },
    };

    [Theory]
    [MemberData(nameof(HostileSourcesLines))]
    public void A_hostile_or_malformed_sources_line_is_an_error_naming_file_and_line(string line, string reason)
    {
        var parse = () => LookasideMetadata.ParseSources($"SHA512 (good.tar.gz) = {Sha512}\n{line}\n");

        parse.Should().Throw<LookasideException>()
            .Where(e => e.Failure == LookasideFailure.Invalid)
            .WithMessage($"sources line 2: {reason}");
    }

    public static TheoryData<string, string> HostileMetadataLines => new()
    {
        { $"{Sha1} SOURCES/../../etc/passwd", "'../../etc/passwd' is not a plain file name" },
        { $"{Sha1} SOURCES/a/b.tar.gz", "'a/b.tar.gz' is not a plain file name" },
        { $"{Sha1} SPECS/a.tar.gz", "'SPECS/a.tar.gz' is not a plain file name" },
        { $"{Sha1} SOURCES/SOURCES/a.tar.gz", "'SOURCES/a.tar.gz' is not a plain file name" },
        { $"{Sha1} /SOURCES/a.tar.gz", "'/SOURCES/a.tar.gz' is not a plain file name" },
        { $"{Sha1} SOURCES/", "'' is not a plain file name" },
        { $"{Sha1} SOURCES/.hidden", "'.hidden' is not a plain file name" },
        { $"{Sha1} SOURCES/-n", "'-n' is not a plain file name" },
        { $"{Sha1}  SOURCES/a.tar.gz", "' SOURCES/a.tar.gz' is not a plain file name" },
        { $"{Sha1} SOURCES/a.tar.gz extra", "'a.tar.gz extra' is not a plain file name" },
        { $"{Sha1}\tSOURCES/a.tar.gz", "expected '<sha1 or sha256 hex> SOURCES/file', found *" },
        { $"{Md5} SOURCES/a.tar.gz", $"'{Md5}' is not a sha1 (40 hex digits) or sha256 (64 hex digits) digest" },
        { $"{Sha512} SOURCES/a.tar.gz", "* is not a sha1 (40 hex digits) or sha256 (64 hex digits) digest" },
        { $"{Sha1[..^1]}z SOURCES/a.tar.gz", "* is not a sha1 digest of 40 hex digits" },
        { $"SHA256 (a.tar.gz) = {Sha256}", "'SHA256' is not a sha1 (40 hex digits) or sha256 (64 hex digits) digest" },
        { " SOURCES/a.tar.gz", "expected *" },
    };

    [Theory]
    [MemberData(nameof(HostileMetadataLines))]
    public void A_hostile_or_malformed_metadata_line_is_an_error_naming_file_and_line(string line, string reason)
    {
        var parse = () => LookasideMetadata.ParseMetadata(".bash.metadata", $"\n{Sha256} SOURCES/good.tar.gz\n{line}\n");

        parse.Should().Throw<LookasideException>().WithMessage($".bash.metadata line 3: {reason}");
    }

    [Fact]
    public void A_file_listed_twice_is_an_error()
    {
        var parse = () => LookasideMetadata.ParseSources($"SHA512 (a.tar.gz) = {Sha512}\nSHA512 (a.tar.gz) = {Sha512}\n");

        parse.Should().Throw<LookasideException>().WithMessage("sources line 2: a.tar.gz is listed twice");
    }

    [Theory]
    [InlineData(".bash.metadata", "bash")]
    [InlineData(".python3.11.metadata", "python3.11")]
    [InlineData(".libstdc++.metadata", "libstdc++")]
    public void The_metadata_file_names_its_package(string file, string package) =>
        LookasideMetadata.PackageOf(file).Should().Be(package);

    [Theory]
    [InlineData("....metadata")]
    [InlineData(".-rf.metadata")]
    [InlineData(".a b.metadata")]
    [InlineData(".$(id).metadata")]
    public void A_metadata_file_with_a_hostile_package_name_is_an_error(string file)
    {
        var read = () => LookasideMetadata.PackageOf(file);

        read.Should().Throw<LookasideException>().WithMessage("*is not a plain package name");
    }

    [Fact]
    public async Task The_manifest_is_read_from_the_top_of_the_exported_tar()
    {
        var tar = await TarAsync(
            ("pax_global_header", TarEntryType.GlobalExtendedAttributes, ""),
            ("SPECS/bash.spec", TarEntryType.RegularFile, "Name: bash\n"),
            ("SPECS/sources", TarEntryType.RegularFile, "ignored: not at the top\n"),
            ("SOURCES/", TarEntryType.Directory, ""),
            (".bash.metadata", TarEntryType.RegularFile, $"{Sha1} SOURCES/bash-5.1.8.tar.gz\n{Sha256} SOURCES/extra.tar.gz\n"),
            ("sources", TarEntryType.RegularFile, $"SHA512 (bash-5.1.8.tar.gz) = {Sha512}\n"));

        var manifest = await LookasideMetadata.ReadAsync(tar, "bash-repository", CancellationToken.None);

        manifest.Package.Should().Be("bash", "the metadata file names the package");
        manifest.Files.Should().Equal(
            new LookasideFile("bash-5.1.8.tar.gz", "sha512", Sha512),
            new LookasideFile("extra.tar.gz", "sha256", Sha256));
    }

    [Fact]
    public async Task A_sources_file_alone_takes_the_repository_name_and_a_tree_without_metadata_lists_nothing()
    {
        var fedora = await LookasideMetadata.ReadAsync(await TarAsync(("./sources", TarEntryType.RegularFile, $"SHA512 (x.tar.gz) = {Sha512}\n")), "hello", CancellationToken.None);
        var plain = await LookasideMetadata.ReadAsync(await TarAsync(("hello.spec", TarEntryType.RegularFile, "Name: hello\n"), ("sources/", TarEntryType.Directory, "")), "hello", CancellationToken.None);

        fedora.Should().BeEquivalentTo(new LookasideManifest("hello", [new LookasideFile("x.tar.gz", "sha512", Sha512)]));
        plain.Files.Should().BeEmpty();
    }

    [Fact]
    public async Task Metadata_that_is_a_symlink_or_duplicated_or_names_no_plain_package_is_refused()
    {
        var link = await TarAsync(("sources", TarEntryType.SymbolicLink, "/etc/passwd"));
        var two = await TarAsync((".a.metadata", TarEntryType.RegularFile, ""), (".b.metadata", TarEntryType.RegularFile, ""));
        var badRepo = await TarAsync(("sources", TarEntryType.RegularFile, $"SHA512 (x.tar.gz) = {Sha512}\n"));

        await FluentActions.Awaiting(() => LookasideMetadata.ReadAsync(link, "p", CancellationToken.None))
            .Should().ThrowAsync<LookasideException>().WithMessage("sources is not a regular file");
        await FluentActions.Awaiting(() => LookasideMetadata.ReadAsync(two, "p", CancellationToken.None))
            .Should().ThrowAsync<LookasideException>().WithMessage("the tree has two metadata files, .a.metadata and .b.metadata");
        await FluentActions.Awaiting(() => LookasideMetadata.ReadAsync(badRepo, "-x", CancellationToken.None))
            .Should().ThrowAsync<LookasideException>().WithMessage("cannot name the package*'-x' is not a plain name");
    }

    private async Task<string> TarAsync(params (string Name, TarEntryType Type, string Content)[] entries)
    {
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.tar");
        await using var file = File.Create(path);
        await using var writer = new TarWriter(file, TarEntryFormat.Pax);
        foreach (var (name, type, content) in entries)
        {
            TarEntry entry = type == TarEntryType.GlobalExtendedAttributes
                ? new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string> { ["comment"] = "0123456789" })
                : new PaxTarEntry(type, name);
            if (type == TarEntryType.SymbolicLink)
            {
                entry.LinkName = content;
            }
            else if (type == TarEntryType.RegularFile)
            {
                entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
            }

            await writer.WriteEntryAsync(entry);
        }

        return path;
    }
}
