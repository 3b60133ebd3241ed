using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Endpoints;
using Albs.Modules.Agents.Health;
using Albs.Modules.Agents.Registry;
using Albs.Modules.Agents.Ssh;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Modules.Agents;

/// <summary>
/// Build agents reached over SSH: registration with a pinned host key and an encrypted private key,
/// the SSH transport other modules run commands and copy files with (<see cref="IAgentShell"/>), and
/// health probing behind <see cref="IAgentDirectory"/>.
/// </summary>
public static class AgentsModule
{
    public static IServiceCollection AddAgentsModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPermissions(AgentPermissions.All);
        services.AddOptions<AgentsOptions>().Bind(configuration.GetSection(AgentsOptions.SectionName));
        services.AddSingleton<SshRuntime>();
        services.AddSingleton<SshClient>();
        services.AddSingleton<HostKeyScanner>();
        services.AddSingleton<AgentProbeSignal>();
        services.AddSingleton<AgentStateStore>();
        services.AddSingleton<IAgentShell, AgentShell>();
        services.AddSingleton<IAgentDirectory, AgentDirectory>();
        services.AddScoped<IAgentAdministration, AgentRegistry>();
        services.AddHostedService<AgentProbeService>();
        return services;
    }

    public static IEndpointRouteBuilder MapAgentsModule(this IEndpointRouteBuilder endpoints)
    {
        AgentEndpoints.Map(endpoints);
        return endpoints;
    }
}
