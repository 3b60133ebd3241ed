using Albs.Modules.Builds.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Modules.Builds;

/// <summary>Builds: submission from git, planning, dispatch to agents, live logs, artifacts.</summary>
public static class BuildsModule
{
    public static IServiceCollection AddBuildsModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BuildSourceOptions>().Bind(configuration.GetSection(BuildSourceOptions.SectionName));
        services.AddSingleton<GitSourceResolver>();
        return services;
    }
}
