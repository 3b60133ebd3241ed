using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Handlers;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Queries;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Builds.Submission;
using Albs.Modules.Common.Events;
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
        services.AddSingleton<LogSignals>();
        services.AddHostedService<BuildDispatcher>();
        services.AddEventHandler<AgentStateChangedEvent, WakeDispatchOnAgentChange>();
        return services;
    }

    public static IEndpointRouteBuilder MapBuildsModule(this IEndpointRouteBuilder endpoints)
    {
        SubmitBuild.Map(endpoints);
        CancelBuild.Map(endpoints);
        RestartFailed.Map(endpoints);
        BuildQueries.Map(endpoints);
        BuildFiles.Map(endpoints);
        LiveLog.Map(endpoints);
        return endpoints;
    }
}
