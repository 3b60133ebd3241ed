using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Health;
using Albs.Modules.Agents.Ssh;
using Albs.Modules.Common.Events;
using Albs.Modules.Common.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Agents.Registry;

/// <summary>Registration, change and removal of agents (superusers), and the public read model.</summary>
internal sealed class AgentRegistry(
    AlbsDbContext db,
    SshRuntime runtime,
    SshClient ssh,
    HostKeyScanner scanner,
    AgentStateStore states,
    IEventPublisher events,
    AgentProbeSignal probe,
    TimeProvider clock)
{
    public async Task<IReadOnlyList<AgentResponse>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await db.Set<Agent>().AsNoTracking().OrderBy(a => a.Name).ToListAsync(cancellationToken)).Select(a => a.ToResponse())];

    public async Task<AgentResponse?> GetAsync(string name, CancellationToken cancellationToken) =>
        (await db.Set<Agent>().AsNoTracking().SingleOrDefaultAsync(a => a.Name == name, cancellationToken))?.ToResponse();

    public async Task<Results<Created<AgentResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(RegisterAgentRequest request, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var port = request.Port ?? 22;
        AgentValidation.Name(request.Name, errors);
        AgentValidation.Host(request.Host, errors);
        AgentValidation.Port(port, errors);
        AgentValidation.User(request.User, errors);
        AgentValidation.Arches(request.Arches, errors);
        AgentValidation.Slots(request.Slots ?? 1, errors);
        AgentValidation.WorkDirectory(request.WorkDirectory, errors);
        AgentValidation.Key(request.PrivateKey, request.PrivateKeyPath, required: true, errors);
        var hostKey = ParseHostKey(request.HostKey, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await db.Set<Agent>().AnyAsync(a => a.Name == request.Name, cancellationToken))
        {
            return Exists(request.Name!);
        }

        if (hostKey is null)
        {
            var (scanned, error) = await scanner.ScanAsync(request.Host!, port, cancellationToken);
            if (scanned is null)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["hostKey"] = [$"hostKey is required: {error}"] });
            }

            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Confirm the agent's host key",
                detail: "Nothing was registered. Compare these fingerprints with the agent's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the agent), then post again with \"hostKey\" set to the lines you trust.",
                extensions: new Dictionary<string, object?> { ["scannedHostKeys"] = scanned.Lines, ["fingerprints"] = scanned.Fingerprints });
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var agent = new Agent
        {
            Name = request.Name!,
            Host = request.Host!,
            Port = port,
            UserName = request.User!,
            PrivateKeyProtected = request.PrivateKey is null ? null : runtime.Protect(request.PrivateKey),
            PrivateKeyPath = request.PrivateKeyPath,
            HostKey = hostKey,
            Arches = Agent.ArchesJson(request.Arches!),
            Slots = request.Slots ?? 1,
            WorkDirectory = request.WorkDirectory ?? AgentValidation.DefaultWorkDirectory,
            Enabled = request.Enabled ?? true,
            Maintenance = request.Maintenance ?? false,
            State = AgentStates.Offline,
            LastError = "not probed yet",
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Add(agent);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another request registered the same name between the check and the insert.
            db.Entry(agent).State = EntityState.Detached;
            if (await db.Set<Agent>().AsNoTracking().AnyAsync(a => a.Name == agent.Name, CancellationToken.None))
            {
                return Exists(agent.Name);
            }

            throw;
        }

        probe.Request();
        return TypedResults.Created($"/api/v1/agents/{agent.Name}", agent.ToResponse());
    }

    public async Task<Results<Ok<AgentResponse>, ValidationProblem, NotFound>> UpdateAsync(string name, UpdateAgentRequest request, CancellationToken cancellationToken)
    {
        var agent = await db.Set<Agent>().SingleOrDefaultAsync(a => a.Name == name, cancellationToken);
        if (agent is null)
        {
            return TypedResults.NotFound();
        }

        var errors = new Dictionary<string, string[]>();
        if (request.Host is not null)
        {
            AgentValidation.Host(request.Host, errors);
        }

        if (request.User is not null)
        {
            AgentValidation.User(request.User, errors);
        }

        if (request.Arches is not null)
        {
            AgentValidation.Arches(request.Arches, errors);
        }

        AgentValidation.Port(request.Port, errors);
        AgentValidation.Slots(request.Slots, errors);
        AgentValidation.WorkDirectory(request.WorkDirectory, errors);
        AgentValidation.Key(request.PrivateKey, request.PrivateKeyPath, required: false, errors);
        var hostKey = ParseHostKey(request.HostKey, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var before = AgentConnection.From(agent);
        agent.Host = request.Host ?? agent.Host;
        agent.Port = request.Port ?? agent.Port;
        agent.UserName = request.User ?? agent.UserName;
        agent.Arches = request.Arches is null ? agent.Arches : Agent.ArchesJson(request.Arches);
        agent.Slots = request.Slots ?? agent.Slots;
        agent.WorkDirectory = request.WorkDirectory ?? agent.WorkDirectory;
        agent.Enabled = request.Enabled ?? agent.Enabled;
        agent.Maintenance = request.Maintenance ?? agent.Maintenance;
        if (request.PrivateKey is not null || request.PrivateKeyPath is not null)
        {
            agent.PrivateKeyProtected = request.PrivateKey is null ? null : runtime.Protect(request.PrivateKey);
            agent.PrivateKeyPath = request.PrivateKeyPath;
        }

        if (hostKey is not null)
        {
            agent.HostKey = hostKey;
            if (agent.State == AgentStates.HostKeyMismatch)
            {
                states.Apply(agent, AgentStates.Offline, "host key re-pinned; waiting for the probe", events);
            }
        }

        agent.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        if (before.ConnectionId != agent.ConnectionId)
        {
            await ssh.ExitMasterAsync(before);
        }

        probe.Request();
        return TypedResults.Ok(agent.ToResponse());
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var agent = await db.Set<Agent>().SingleOrDefaultAsync(a => a.Name == name, cancellationToken);
        if (agent is null)
        {
            return false;
        }

        db.Remove(agent);
        await db.SaveChangesAsync(cancellationToken);
        await ssh.ExitMasterAsync(AgentConnection.From(agent));
        runtime.Forget(agent.Name);
        return true;
    }

    private static string? ParseHostKey(string? text, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return null;
        }

        var (normalized, error) = HostKeys.Parse(text);
        if (error is not null)
        {
            errors["hostKey"] = [error];
        }

        return normalized;
    }

    private static ProblemHttpResult Exists(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Agent exists", detail: $"An agent named '{name}' is registered already.");
}
