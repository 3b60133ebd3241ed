using System.Security.Claims;
using System.Text.Json;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Platforms.Catalog;
using Albs.Modules.Platforms.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Platforms.Administration;

/// <summary>
/// The one implementation of creating and replacing platforms behind <c>/api/v1/platforms</c> and the
/// admin pages. It works in the request's <see cref="AlbsDbContext"/>, so the change and its audit
/// entry are saved in one transaction (<see cref="IAuditLog.RecordAsync"/> saves what is pending).
/// </summary>
internal sealed class PlatformAdministration(AlbsDbContext db, IAccessControl access, IAuditLog audit, TimeProvider clock) : IPlatformAdministration
{
    public async Task<CommandResult<PlatformDto>> CreateAsync(ClaimsPrincipal actor, PlatformRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var allowed = await access.CheckAsync(actor, PlatformPermissions.Manage, null, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<PlatformDto>(allowed);
        }

        var (spec, errors) = PlatformValidator.Validate(request);
        if (spec is null)
        {
            return Invalid(errors);
        }

        var normalized = PlatformRules.NormalizeName(spec.Name);
        if (await db.Set<Platform>().AnyAsync(p => p.NormalizedName == normalized, cancellationToken))
        {
            return Duplicate(spec.Name);
        }

        var platform = Platform.Create(spec, clock.GetUtcNow().UtcDateTime);
        db.Add(platform);
        try
        {
            await audit.RecordAsync("platform.create", "platform", platform.Name, Describe(platform.ToDto()), cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost a race with another writer of the same name: the unique index decided.
            db.ChangeTracker.Clear();
            if (await db.Set<Platform>().AsNoTracking().AnyAsync(p => p.NormalizedName == normalized, CancellationToken.None))
            {
                return Duplicate(spec.Name);
            }

            throw;
        }

        return new CommandResult<PlatformDto>(platform.ToDto(), StatusCodes.Status201Created);
    }

    public async Task<CommandResult<PlatformDto>> ReplaceAsync(ClaimsPrincipal actor, string name, PlatformRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(request);
        var allowed = await access.CheckAsync(actor, PlatformPermissions.Manage, null, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<PlatformDto>(allowed);
        }

        var normalized = PlatformRules.NormalizeName(name);
        var platform = await db.Set<Platform>().SingleOrDefaultAsync(p => p.NormalizedName == normalized, cancellationToken);
        if (platform is null)
        {
            return CommandResult.Fail<PlatformDto>(StatusCodes.Status404NotFound, $"There is no platform named '{name}'.");
        }

        var (spec, errors) = PlatformValidator.Validate(request with { Name = request.Name ?? platform.Name });
        if (request.Name is not null && !string.Equals(request.Name, platform.Name, StringComparison.Ordinal))
        {
            errors["name"] = [$"cannot be changed: it is '{platform.Name}' (builds refer to platforms by name)"];
            spec = null;
        }

        if (spec is null)
        {
            return Invalid(errors);
        }

        var before = platform.ToDto();
        platform.Apply(spec with { Name = platform.Name }, clock.GetUtcNow().UtcDateTime);
        var after = platform.ToDto();
        await audit.RecordAsync("platform.update", "platform", platform.Name, new { changed = ChangedFields(before, after) }, cancellationToken);
        return CommandResult.Ok(after);
    }

    private static CommandResult<PlatformDto> Invalid(Dictionary<string, string[]> errors) =>
        new(default, StatusCodes.Status400BadRequest, "The platform definition is not valid.", errors);

    private static CommandResult<PlatformDto> Duplicate(string name) =>
        CommandResult.Fail<PlatformDto>(
            StatusCodes.Status409Conflict,
            $"A platform named '{name}' (ignoring case) already exists; use PUT /api/v1/platforms/{{name}} to change it.");

    /// <summary>The definition as the audit log keeps it (everything but the timestamps).</summary>
    private static object Describe(PlatformDto p) => new
    {
        p.DistributionName,
        p.DistributionVersion,
        p.Arches,
        p.NoarchArch,
        p.DistTag,
        p.RpmMacros,
        p.Repositories,
        p.TimeoutMinutes,
        p.IsActive,
        MockTemplateLength = p.MockTemplate.Length,
    };

    /// <summary>The camelCase names of the fields whose value differs.</summary>
    private static List<string> ChangedFields(PlatformDto before, PlatformDto after)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var old = JsonSerializer.SerializeToElement(before, options);
        var now = JsonSerializer.SerializeToElement(after, options);
        return [.. now.EnumerateObject()
            .Where(p => p.Name != "updatedAt" && (!old.TryGetProperty(p.Name, out var o) || o.GetRawText() != p.Value.GetRawText()))
            .Select(p => p.Name)];
    }
}
