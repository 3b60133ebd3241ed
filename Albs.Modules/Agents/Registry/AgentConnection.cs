namespace Albs.Modules.Agents.Registry;

/// <summary>A snapshot of what connecting to one agent takes, read fresh from the database for each use.</summary>
internal sealed record AgentConnection(
    long Id,
    string Name,
    string Host,
    int Port,
    string User,
    string? PrivateKeyProtected,
    string? PrivateKeyPath,
    string HostKey,
    string State,
    string ConnectionId)
{
    public static AgentConnection From(Agent agent) =>
        new(agent.Id, agent.Name, agent.Host, agent.Port, agent.UserName, agent.PrivateKeyProtected, agent.PrivateKeyPath,
            agent.HostKey, agent.State, agent.ConnectionId);
}
