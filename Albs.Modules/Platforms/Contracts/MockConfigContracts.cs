namespace Albs.Modules.Platforms.Contracts;

/// <summary>
/// Per-build rpm options, as mock's and rpmbuild's <c>--with</c>, <c>--without</c> and <c>--define</c>.
/// </summary>
/// <param name="With">Conditional build names to enable (<c>^[A-Za-z0-9_.+-]+$</c>).</param>
/// <param name="Without">Conditional build names to disable (same rule; not also in <paramref name="With"/>).</param>
/// <param name="Defines">Macro name (<c>^[A-Za-z_][A-Za-z0-9_]*$</c>, without <c>%</c>) → value.</param>
public sealed record RpmBuildOptions(
    IReadOnlyList<string> With,
    IReadOnlyList<string> Without,
    IReadOnlyDictionary<string, string> Defines)
{
    /// <summary>No options.</summary>
    public static RpmBuildOptions None { get; } = new([], [], new Dictionary<string, string>());
}

/// <summary>A repository of a linked build, preferred over the platform's repositories.</summary>
/// <param name="Name">dnf repository id (<c>^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$</c>), distinct from the platform's.</param>
/// <param name="Url">http, https or file URL.</param>
public sealed record LinkedRepository(string Name, string Url);

/// <summary>
/// Turns a platform and per-build options into a mock configuration, or into rpmbuild arguments
/// for agents without mock. Pure functions: same input, same output.
/// </summary>
/// <remarks>
/// Every user-supplied value is written as an inert Python string literal. Values containing
/// Jinja delimiters (<c>{{</c>, <c>{%</c>, <c>{#</c>) or NUL are rejected, because mock renders
/// config strings through Jinja until they stop changing, so no escaping could keep them inert.
/// Invalid input throws <see cref="ArgumentException"/>; call <see cref="Validate"/> first to
/// report problems per field.
/// </remarks>
public interface IMockConfigBuilder
{
    /// <summary>Problems with the options and linked repositories, keyed by field (<c>with[0]</c>, <c>defines.name</c>, <c>repositories[1].url</c>); empty when valid.</summary>
    IReadOnlyDictionary<string, string[]> Validate(PlatformDto platform, RpmBuildOptions options, IReadOnlyList<LinkedRepository> linkedRepositories);

    /// <summary>The text of a mock <c>.cfg</c> for building on <paramref name="targetArch"/> (one of the platform's arches).</summary>
    string BuildMockConfig(PlatformDto platform, string targetArch, RpmBuildOptions options, IReadOnlyList<LinkedRepository> linkedRepositories);

    /// <summary>
    /// The equivalent <c>rpmbuild</c> arguments: <c>["--define", "dist .el9", "--define", "_with_foo --with-foo", …]</c>.
    /// An argument list for <c>IProcessRunner</c>, never a shell string.
    /// </summary>
    IReadOnlyList<string> RpmbuildDefines(PlatformDto platform, RpmBuildOptions options);
}
