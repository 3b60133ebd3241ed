using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Execution;
using Albs.Modules.Builds.Handlers;
using Albs.Modules.Builds.Logs;
using Albs.Modules.Builds.Lookaside;
using Albs.Modules.Builds.Queries;
using Albs.Modules.Builds.Repositories;
using Albs.Modules.Builds.Sources;
using Albs.Modules.Builds.Submission;
using Albs.Modules.Common.Events;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Modules.Builds;

/// <summary>Builds: submission from git, planning, dispatch to agents, live logs, artifacts.</summary>
public static class BuildsModule
{
    public static IServiceCollection AddBuildsModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPermissions(BuildPermissions.All);
        services.AddOptions<BuildSourceOptions>().Bind(configuration.GetSection(BuildSourceOptions.SectionName))
            .Validate(o => LookasideUrlTemplate.Validate(o.LookasideUrl) is null, "Builds:LookasideUrl must be an absolute http(s) URL containing {hash} and no placeholders but {name}, {filename}, {hashtype}, {hash}.")
            .Validate(o => o.LookasideTimeout > TimeSpan.Zero && o.LookasideMaxFileSize > 0, "Builds:LookasideTimeout and Builds:LookasideMaxFileSize must be positive.")
            .ValidateOnStart();
        services.AddOptions<BuildDispatchOptions>().Bind(configuration.GetSection(BuildDispatchOptions.SectionName))
            .Validate(o => o.TaskLease >= TimeSpan.FromSeconds(3), "Builds:TaskLease must be at least 3 seconds.").ValidateOnStart();
        services.AddSingleton<GitSourceResolver>();
        services.AddScoped<BuildRequestValidator>();
        services.AddScoped<IBuildQueries, BuildQueryService>();
        services.AddScoped<IBuildDashboard, BuildDashboardService>();
        services.AddScoped<IAgentWorkload, AgentWorkload>();
        services.AddScoped<IBuildCommands, BuildCommands>();
        services.AddSingleton<GitMirror>();
        services.AddSingleton<LookasideStore>();
        services.AddSingleton<LookasideFetcher>();
        services.AddSingleton<LookasideSources>();
        services.AddSingleton<TaskExecutor>();
        services.AddSingleton<BuildTaskStore>();
        services.AddSingleton<BuildSignal>();
        services.AddSingleton<RunningTasks>();
        services.AddSingleton<LogSignals>();
        services.AddSingleton<BuildChangeSignals>();
        services.AddSingleton<IBuildLogDirectory, BuildLogDirectory>();
        services.AddSingleton<BuildWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<BuildWriter>());
        services.AddHostedService<BuildDispatcher>();
        services.AddSingleton(sp =>
        {
            var signal = sp.GetRequiredService<BuildSignal>();
            var changes = sp.GetRequiredService<BuildChangeSignals>();
            return new PostgresChannel(
                BuildSignal.Channel,
                _ =>
                {
                    signal.Notify();
                    changes.ChangedAll();
                },
                () =>
                {
                    signal.Notify();
                    changes.ChangedAll();
                });
        });
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
        BuildDashboardService.Map(endpoints);
        BuildFiles.Map(endpoints);
        LiveLog.Map(endpoints);
        BuildEvents.Map(endpoints);
        LookasideEndpoints.Map(endpoints);
        BuildRepositoryEndpoints.Map(endpoints);
        return endpoints;
    }
}
