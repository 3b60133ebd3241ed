using Albs.Modules.Platforms.Catalog;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Platforms.Seeding;

/// <summary>
/// Seeds the platforms of the definitions file at start. The rule: a platform whose name is not
/// stored yet is inserted; a stored one is left exactly as it is (administrators may have edited
/// it through the API). Idempotent, and safe with several hosts starting at once: the unique index
/// on the name decides, and a host that loses the race just skips that platform.
/// </summary>
internal sealed class PlatformSeeder(
    PlatformStore store,
    IOptions<PlatformsOptions> options,
    IHostEnvironment environment,
    ILogger<PlatformSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value.DefinitionsFile;
        if (string.IsNullOrWhiteSpace(configured))
        {
            return;
        }

        var file = PlatformDefinitions.Resolve(configured, environment.ContentRootPath);
        if (file is null)
        {
            logger.LogWarning(
                "Platform definitions file {File} not found in {ContentRoot} or its {Levels} parent directories; no platforms seeded.",
                configured, environment.ContentRootPath, PlatformDefinitions.ParentLevels);
            return;
        }

        await SeedAsync(file, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Inserts the file's platforms that are missing; returns the names added.</summary>
    public async Task<IReadOnlyList<string>> SeedAsync(string file, CancellationToken cancellationToken)
    {
        var specs = PlatformDefinitions.Load(file);
        var existing = await store.NormalizedNamesAsync(cancellationToken);
        var added = new List<string>();
        foreach (var spec in specs.Where(s => !existing.Contains(PlatformRules.NormalizeName(s.Name))))
        {
            var (outcome, _) = await store.CreateAsync(spec, cancellationToken);
            if (outcome == StoreOutcome.Stored)
            {
                added.Add(spec.Name);
            }
        }

        if (added.Count > 0)
        {
            logger.LogInformation("Seeded platform(s) {Platforms} from {File}.", string.Join(", ", added), file);
        }
        else
        {
            logger.LogInformation("All {Count} platform(s) of {File} already exist; none added.", specs.Count, file);
        }

        return added;
    }
}
