using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Handlers;
using Albs.Modules.Builds.Queries;
using Albs.Modules.Builds.Repositories;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Builds.Submission;
using Albs.Modules.Common.Events;
using Albs.Modules.Common.Storage;
using Microsoft.AspNetCore.Routing;
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
        services.AddScoped<BuildRequestValidator>();
        services.AddSingleton<GitMirror>();
        services.AddSingleton<RpmHeader>();
        services.AddSingleton<TaskExecutor>();
        services.AddSingleton<BuildTaskStore>();
        services.AddSingleton<BuildSignal>();
        services.AddSingleton<RunningTasks>();
        services.AddHostedService<BuildDispatcher>();
        services.AddEventHandler<AgentStateChangedEvent, WakeDispatchOnAgentChange>();
        services.AddOptions<AlbsOptions>()
            .Validate(o => BuildRepositories.IsPublicUrl(o.PublicUrl), "Albs:PublicUrl must be an absolute http or https URL without query or fragment")
            .ValidateOnStart();
        services.AddSingleton<RepositoryGenerator>();
        services.AddSingleton<BuildRepositories>();
        return services;
    }

    public static IEndpointRouteBuilder MapBuildsModule(this IEndpointRouteBuilder endpoints)
    {
        SubmitBuild.Map(endpoints);
        CancelBuild.Map(endpoints);
        RestartFailed.Map(endpoints);
        BuildQueries.Map(endpoints);
        BuildFiles.Map(endpoints);
        BuildRepositoryEndpoints.Map(endpoints);
        return endpoints;
    }
}
