using Albs.Modules.Identity.Contracts;
using Albs.Modules.Platforms.Administration;
using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;
using Albs.Modules.Platforms.Endpoints;
using Albs.Modules.Platforms.MockConfig;
using Albs.Modules.Platforms.Seeding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Modules.Platforms;

/// <summary>
/// Build platforms (distribution releases: arches, dist tag, macros, repositories, mock template),
/// seeded from <c>platforms/platforms.json</c>, and the mock config / rpmbuild define generator.
/// </summary>
public static class PlatformsModule
{
    public static IServiceCollection AddPlatformsModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPermissions(PlatformPermissions.All);
        services.AddOptions<PlatformsOptions>().Bind(configuration.GetSection(PlatformsOptions.SectionName));
        services.AddSingleton<PlatformStore>();
        services.AddSingleton<IPlatformCatalog>(sp => sp.GetRequiredService<PlatformStore>());
        services.AddScoped<IPlatformAdministration, PlatformAdministration>();
        services.AddSingleton<IMockConfigBuilder, MockConfigBuilder>();
        services.AddHostedService<PlatformSeeder>();
        return services;
    }

    public static IEndpointRouteBuilder MapPlatformsModule(this IEndpointRouteBuilder endpoints)
    {
        PlatformEndpoints.Map(endpoints);
        return endpoints;
    }
}
