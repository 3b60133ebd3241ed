using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Platforms;
using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;
using Albs.Modules.Platforms.Seeding;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Platforms;

public sealed class PlatformSeedingTests
{
    private static readonly string[] SeededNames = ["AlmaLinux-10", "AlmaLinux-8", "AlmaLinux-9", "Demo-1"];

    [Fact]
    public async Task A_restart_keeps_admin_edits_and_re_adds_only_missing_platforms()
    {
        using var database = TestDatabase.Sqlite();
        using (var first = new AlbsWebApp(database))
        {
            var edited = PlatformApiTests.Valid("AlmaLinux-9") with { DistributionName = "AlmaLinux", TimeoutMinutes = 600, IsActive = false };
            (await first.AdminClient().PutAsJsonAsync("/api/v1/platforms/AlmaLinux-9", edited)).StatusCode.Should().Be(HttpStatusCode.OK);
            first.Logs.Should().Contain(l => l.Contains("Seeded platform(s) AlmaLinux-8, AlmaLinux-9, AlmaLinux-10, Demo-1", StringComparison.Ordinal));
        }

        await using (var db = database.CreateContext())
        {
            await db.Set<Platform>().Where(p => p.Name == "Demo-1").ExecuteDeleteAsync();
        }

        using var second = new AlbsWebApp(database);
        var platforms = (await second.Client().GetFromJsonAsync<List<PlatformDto>>("/api/v1/platforms"))!;
        platforms.Select(p => p.Name).Should().Equal(SeededNames);
        var alma9 = platforms.Single(p => p.Name == "AlmaLinux-9");
        (alma9.TimeoutMinutes, alma9.IsActive, alma9.Arches.Count).Should().Be((600, false, 2), "the seeder never overwrites a stored platform");
        second.Logs.Should().Contain(l => l.Contains("Seeded platform(s) Demo-1 from", StringComparison.Ordinal));

        using var third = new AlbsWebApp(database);
        (await third.Client().GetFromJsonAsync<List<PlatformDto>>("/api/v1/platforms"))!.Should().HaveCount(4);
        third.Logs.Should().Contain(l => l.Contains("All 4 platform(s) of", StringComparison.Ordinal) && l.Contains("already exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_definitions_file_seeds_nothing_with_a_warning()
    {
        using var database = TestDatabase.Sqlite();
        using var app = new AlbsWebApp(database, new Dictionary<string, string?> { ["Platforms:DefinitionsFile"] = "platforms/does-not-exist.json" });
        (await app.Client().GetFromJsonAsync<List<PlatformDto>>("/api/v1/platforms")).Should().BeEmpty();
        app.Logs.Should().Contain(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("does-not-exist.json not found", StringComparison.Ordinal));
    }

    [Fact]
    public void An_invalid_definitions_file_stops_the_start_with_the_problem()
    {
        using var database = TestDatabase.Sqlite();
        var file = Path.Combine(database.DataDirectory, "bad.json");
        File.WriteAllText(file, """{"platforms":[{"name":"X-1","distributionName":"X","distributionVersion":"1","arches":["sparc"],"distTag":".x1"}]}""");
        using var app = new AlbsWebApp(database, new Dictionary<string, string?> { ["Platforms:DefinitionsFile"] = file });
        var start = () => app.Client();
        start.Should().Throw<InvalidOperationException>().WithMessage("*bad.json is invalid*platforms[0] (X-1)*unknown arch 'sparc'*");
    }

    [Fact]
    public void The_definitions_file_is_found_from_the_content_root_or_a_parent()
    {
        var web = Path.Combine(PlatformTestData.RepositoryRoot, "Albs.Web");
        PlatformDefinitions.Resolve("platforms/platforms.json", web).Should().Be(PlatformTestData.DefinitionsFile);
        PlatformDefinitions.Resolve("platforms/platforms.json", AppContext.BaseDirectory).Should().Be(PlatformTestData.DefinitionsFile, "tests run four levels below the repository root");
        PlatformDefinitions.Resolve("platforms/nothing.json", web).Should().BeNull();
        PlatformDefinitions.Resolve("/abs/platforms.json", web).Should().Be("/abs/platforms.json");
    }

    [Fact]
    public async Task Concurrent_seeders_on_sqlite_insert_each_platform_once() =>
        await SeedConcurrentlyAsync(TestDatabase.Sqlite());

    [Fact]
    public async Task Names_are_unique_ignoring_case_in_the_database()
    {
        using var database = TestDatabase.Sqlite();
        await using var host = await StartHostAsync(database, PlatformTestData.DefinitionsFile);
        var spec = PlatformDefinitions.Load(PlatformTestData.DefinitionsFile)[0] with { Name = "ALMALINUX-8" };
        var insert = () => host.WithDbAsync(async db =>
        {
            db.Add(Platform.Create(spec, DateTime.UtcNow));
            return await db.SaveChangesAsync();
        });
        await insert.Should().ThrowAsync<DbUpdateException>("the unique index on normalized_name decides races");
        var store = host.Services.GetRequiredService<PlatformStore>();
        (await store.CreateAsync(spec, default)).Outcome.Should().Be(StoreOutcome.Duplicate);
    }

    internal static async Task SeedConcurrentlyAsync(TestDatabase database)
    {
        using (database)
        {
            // The host migrates (seeding off); then several seeders race as several starting hosts would.
            await using var host = await StartHostAsync(database, "");
            var seeders = Enumerable.Range(0, 6).Select(_ => ActivatorUtilities.CreateInstance<PlatformSeeder>(host.Services)).ToList();
            var added = await Task.WhenAll(seeders.Select(s => Task.Run(() => s.SeedAsync(PlatformTestData.DefinitionsFile, default))));

            added.SelectMany(a => a).Should().BeEquivalentTo(SeededNames, "each platform is added by exactly one seeder");
            var stored = await host.Services.GetRequiredService<IPlatformCatalog>().ListAsync(includeInactive: true, default);
            stored.Select(p => p.Name).Should().Equal(SeededNames);
        }
    }

    private static Task<ModuleHost> StartHostAsync(TestDatabase database, string definitionsFile)
    {
        var settings = new Dictionary<string, string?> { ["Platforms:DefinitionsFile"] = definitionsFile };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return ModuleHost.StartAsync(database, services => services.AddPlatformsModule(configuration), settings);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresPlatformSeedingTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Concurrent_seeders_on_postgres_insert_each_platform_once() =>
        await PlatformSeedingTests.SeedConcurrentlyAsync(await TestDatabase.PostgresAsync(postgres.Server));
}
