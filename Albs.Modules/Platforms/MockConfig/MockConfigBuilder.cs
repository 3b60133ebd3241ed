using Albs.Modules.Platforms.Contracts;

namespace Albs.Modules.Platforms.MockConfig;

/// <summary>The <see cref="IMockConfigBuilder"/> contract over the pure generator.</summary>
internal sealed class MockConfigBuilder : IMockConfigBuilder
{
    public IReadOnlyDictionary<string, string[]> Validate(PlatformDto platform, RpmBuildOptions options, IReadOnlyList<LinkedRepository> linkedRepositories) =>
        BuildOptionsValidator.Validate(platform, options, linkedRepositories);

    public string BuildMockConfig(PlatformDto platform, string targetArch, RpmBuildOptions options, IReadOnlyList<LinkedRepository> linkedRepositories) =>
        MockConfigGenerator.Generate(platform, targetArch, options, linkedRepositories);

    public IReadOnlyList<string> RpmbuildDefines(PlatformDto platform, RpmBuildOptions options) =>
        MockConfigGenerator.RpmbuildDefines(platform, options);
}
