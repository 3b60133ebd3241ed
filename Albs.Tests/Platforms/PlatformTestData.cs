using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;
using Albs.Modules.Platforms.Seeding;

namespace Albs.Tests.Platforms;

/// <summary>The repository's platform definitions and expected files, read from the source tree.</summary>
internal static class PlatformTestData
{
    /// <summary>Set to 1 to rewrite the expected files from the current output (then review the diff).</summary>
    public const string UpdateVariable = "ALBS_UPDATE_EXPECTED";

    private static readonly DateTime Stamp = new(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc);

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string DefinitionsFile => Path.Combine(RepositoryRoot, "platforms", "platforms.json");

    public static string ExpectedDirectory => Path.Combine(RepositoryRoot, "Albs.Tests", "Platforms", "Expected");

    /// <summary>A platform of <c>platforms/platforms.json</c>, as the catalog would return it.</summary>
    public static PlatformDto Definition(string name) =>
        Platform.Create(PlatformDefinitions.Load(DefinitionsFile).Single(s => s.Name == name), Stamp).ToDto();

    /// <summary>Compares with <c>Expected/<paramref name="file"/></c> (or rewrites it when <see cref="UpdateVariable"/> is 1).</summary>
    public static void ShouldMatchExpected(string actual, string file)
    {
        var path = Path.Combine(ExpectedDirectory, file);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(ExpectedDirectory);
            File.WriteAllText(path, actual);
        }

        File.Exists(path).Should().BeTrue($"expected file {path} should exist (run with {UpdateVariable}=1 to create it)");
        actual.Should().Be(File.ReadAllText(path), $"the output should equal {path} (run with {UpdateVariable}=1 to update it, then review the diff)");
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "albs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No albs.sln above {AppContext.BaseDirectory}.");
    }
}
