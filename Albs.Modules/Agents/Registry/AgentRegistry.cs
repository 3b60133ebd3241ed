using System.Security.Claims;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Agents.Health;
using Albs.Modules.Agents.Ssh;
using Albs.Modules.Common.Events;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Agents.Registry;

/// <summary>
/// Registration, change and removal of agents (superusers), and the public read model: the one
/// implementation behind <c>/api/v1/agents</c> and the admin pages. Changes are saved together with
/// their audit entry (<see cref="IAuditLog.RecordAsync"/> saves what the request's context has pending).
/// </summary>
internal sealed class AgentRegistry(
    AlbsDbContext db,
    SshRuntime runtime,
    SshClient ssh,
    HostKeyScanner scanner,
    AgentStateStore states,
    IEventPublisher events,
    AgentProbeSignal probe,
    IAccessControl access,
    IAuditLog audit,
    TimeProvider clock,
    IEnumerable<IAgentWorkload> workloads) : IAgentAdministration
{
    public async Task<IReadOnlyList<AgentResponse>> ListAsync(ClaimsPrincipal viewer, CancellationToken cancellationToken = default)
    {
        var agents = await db.Set<Agent>().AsNoTracking().OrderBy(a => a.Name).ToListAsync(cancellationToken);
        var tasks = await CurrentTasksAsync(cancellationToken);
        var manager = await ManagesAsync(viewer, cancellationToken);
        return [.. agents.Select(a => WithTasks(Shown(a, manager), tasks))];
    }

    public async Task<AgentResponse?> FindAsync(ClaimsPrincipal viewer, string name, CancellationToken cancellationToken = default) =>
        await db.Set<Agent>().AsNoTracking().SingleOrDefaultAsync(a => a.Name == name, cancellationToken) is { } agent
            ? WithTasks(Shown(agent, await ManagesAsync(viewer, cancellationToken)), await CurrentTasksAsync(cancellationToken))
            : null;

    private static AgentResponse Shown(Agent agent, bool manager) => manager ? agent.ToResponse() : agent.ToResponse().Public();

    private async Task<bool> ManagesAsync(ClaimsPrincipal viewer, CancellationToken cancellationToken) =>
        viewer.Identity?.IsAuthenticated == true && (await access.CheckAsync(viewer, AgentPermissions.Manage, null, cancellationToken)).IsAllowed;

    private async Task<IReadOnlyDictionary<string, IReadOnlyList<AgentTaskResponse>>> CurrentTasksAsync(CancellationToken cancellationToken)
    {
        var merged = new Dictionary<string, IReadOnlyList<AgentTaskResponse>>(StringComparer.Ordinal);
        foreach (var workload in workloads)
        {
            foreach (var (agent, tasks) in await workload.CurrentTasksAsync(cancellationToken))
            {
                merged[agent] = merged.TryGetValue(agent, out var known) ? [.. known, .. tasks] : tasks;
            }
        }

        return merged;
    }

    private static AgentResponse WithTasks(AgentResponse agent, IReadOnlyDictionary<string, IReadOnlyList<AgentTaskResponse>> tasks) =>
        tasks.TryGetValue(agent.Name, out var current) ? agent with { CurrentTasks = current } : agent;

    public async Task<CommandResult<AgentRegistrationDto>> RegisterAsync(ClaimsPrincipal actor, RegisterAgentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var allowed = await access.CheckAsync(actor, AgentPermissions.Manage, null, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<AgentRegistrationDto>(allowed);
        }

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
            return Invalid<AgentRegistrationDto>(errors);
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
                return Invalid<AgentRegistrationDto>(new Dictionary<string, string[]> { ["hostKey"] = [$"hostKey is required: {error}"] });
            }

            return new CommandResult<AgentRegistrationDto>(
                new AgentRegistrationDto(null, new ScannedHostKeysDto(scanned.Lines, scanned.Fingerprints)),
                StatusCodes.Status409Conflict,
                ConfirmHostKey);
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
            await audit.RecordAsync("agent.register", "agent", agent.Name, Describe(agent), cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another request registered the same name between the check and the insert.
            db.ChangeTracker.Clear();
            if (await db.Set<Agent>().AsNoTracking().AnyAsync(a => a.Name == agent.Name, CancellationToken.None))
            {
                return Exists(agent.Name);
            }

            throw;
        }

        probe.Request();
        return new CommandResult<AgentRegistrationDto>(new AgentRegistrationDto(agent.ToResponse()), StatusCodes.Status201Created);
    }

    public async Task<CommandResult<AgentResponse>> UpdateAsync(ClaimsPrincipal actor, string name, UpdateAgentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var allowed = await access.CheckAsync(actor, AgentPermissions.Manage, null, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<AgentResponse>(allowed);
        }

        var agent = await db.Set<Agent>().SingleOrDefaultAsync(a => a.Name == name, cancellationToken);
        if (agent is null)
        {
            return NotFound(name);
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
            return Invalid<AgentResponse>(errors);
        }

        var before = AgentConnection.From(agent);
        var old = Describe(agent);
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
        var keyChanged = request.PrivateKey is not null || request.PrivateKeyPath is not null;
        await audit.RecordAsync("agent.update", "agent", agent.Name, new { changed = Changes(old, Describe(agent), keyChanged) }, cancellationToken);
        if (before.ConnectionId != agent.ConnectionId)
        {
            await ssh.ExitMasterAsync(before);
        }

        probe.Request();
        return CommandResult.Ok(agent.ToResponse());
    }

    public async Task<CommandResult<AgentResponse>> DeleteAsync(ClaimsPrincipal actor, string name, CancellationToken cancellationToken = default)
    {
        var allowed = await access.CheckAsync(actor, AgentPermissions.Manage, null, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<AgentResponse>(allowed);
        }

        var agent = await db.Set<Agent>().SingleOrDefaultAsync(a => a.Name == name, cancellationToken);
        if (agent is null)
        {
            return NotFound(name);
        }

        db.Remove(agent);
        await audit.RecordAsync("agent.delete", "agent", agent.Name, Describe(agent), cancellationToken);
        await ssh.ExitMasterAsync(AgentConnection.From(agent));
        runtime.Forget(agent.Name);
        return CommandResult.Ok(agent.ToResponse());
    }

    /// <summary>What the audit log keeps of an agent: operational facts, never key material (only where the key comes from).</summary>
    private static Dictionary<string, object?> Describe(Agent agent) => new(StringComparer.Ordinal)
    {
        ["host"] = agent.Host,
        ["port"] = agent.Port,
        ["user"] = agent.UserName,
        ["arches"] = agent.ArchList,
        ["slots"] = agent.Slots,
        ["workDirectory"] = agent.WorkDirectory,
        ["enabled"] = agent.Enabled,
        ["maintenance"] = agent.Maintenance,
        ["hostKeyFingerprints"] = HostKeys.Fingerprints(agent.HostKey),
        ["privateKeySource"] = agent.PrivateKeyPath is null ? "stored" : "path",
    };

    /// <summary>Each changed field with its old and new value; a replaced private key is named, never shown.</summary>
    private static Dictionary<string, object?> Changes(Dictionary<string, object?> before, Dictionary<string, object?> after, bool keyChanged)
    {
        var changes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (field, value) in after)
        {
            var old = before.GetValueOrDefault(field);
            if (System.Text.Json.JsonSerializer.Serialize(old) != System.Text.Json.JsonSerializer.Serialize(value))
            {
                changes[field] = new { from = old, to = value };
            }
        }

        if (keyChanged)
        {
            changes["privateKey"] = "replaced";
        }

        return changes;
    }

    private static CommandResult<T> Invalid<T>(Dictionary<string, string[]> errors) =>
        new(default, StatusCodes.Status400BadRequest, string.Join(" ", errors.Values.SelectMany(e => e)), errors);

    private static CommandResult<AgentResponse> NotFound(string name) =>
        CommandResult.Fail<AgentResponse>(StatusCodes.Status404NotFound, $"There is no agent named '{name}'.");

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

    private static CommandResult<AgentRegistrationDto> Exists(string name) =>
        CommandResult.Fail<AgentRegistrationDto>(StatusCodes.Status409Conflict, $"An agent named '{name}' is registered already.");

    /// <summary>Why a registration without a host key stops at the scan (the API's problem detail, the page's message).</summary>
    public const string ConfirmHostKey =
        "Nothing was registered. Compare these fingerprints with the agent's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the agent), then post again with \"hostKey\" set to the lines you trust.";
}
