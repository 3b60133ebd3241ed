using System.Security.Claims;
using System.Text.Json;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Access;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Identity.Audit;

internal sealed class AuditLog(AlbsDbContext db, IHttpContextAccessor http, AccessControl access, TimeProvider clock) : IAuditLog
{
    private const int MaxPageSize = 200;

    public async Task RecordAsync(string action, string objectType, string objectId, object? details = null, CancellationToken cancellationToken = default)
    {
        db.Add(Entry(action, objectType, objectId, details));
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Adds an entry without saving, so it commits with the caller's own changes.</summary>
    internal void Add(string action, string objectType, string objectId, object? details = null) =>
        db.Add(Entry(action, objectType, objectId, details));

    public async Task<CommandResult<AuditListResponse>> SearchAsync(ClaimsPrincipal actor, AuditQuery query, CancellationToken cancellationToken = default)
    {
        var allowed = await access.CheckAsync(actor, IdentityPermissions.AdministerUsers, null, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<AuditListResponse>(allowed);
        }

        if (query.Page < 1 || query.PageSize is < 1 or > MaxPageSize)
        {
            return CommandResult.Invalid<AuditListResponse>("page", $"page must be 1 or more and pageSize between 1 and {MaxPageSize}");
        }

        var entries = db.Set<AuditEntry>().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Actor))
        {
            entries = entries.Where(e => e.Actor == query.Actor.Trim());
        }

        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            // "team" finds team.create and team.member.roles; "team.create" finds itself.
            var prefix = query.Action.Trim();
            entries = entries.Where(e => e.Action == prefix || e.Action.StartsWith(prefix + "."));
        }

        if (!string.IsNullOrWhiteSpace(query.ObjectType))
        {
            entries = entries.Where(e => e.ObjectType == query.ObjectType.Trim());
        }

        if (!string.IsNullOrWhiteSpace(query.ObjectId))
        {
            entries = entries.Where(e => e.ObjectId == query.ObjectId.Trim());
        }

        if (query.Since is { } since)
        {
            var from = since.ToUniversalTime();
            entries = entries.Where(e => e.At >= from);
        }

        if (query.Until is { } until)
        {
            var to = until.ToUniversalTime();
            entries = entries.Where(e => e.At < to);
        }

        var total = await entries.CountAsync(cancellationToken);
        var items = await entries.OrderByDescending(e => e.Id)
            .Skip((query.Page - 1) * query.PageSize).Take(query.PageSize)
            .Select(e => new AuditEntryDto(e.Id, e.At, e.ActorId, e.Actor, e.Action, e.ObjectType, e.ObjectId, e.Details, e.RemoteAddress))
            .ToListAsync(cancellationToken);
        return CommandResult.Ok(new AuditListResponse(items, query.Page, query.PageSize, total));
    }

    private AuditEntry Entry(string action, string objectType, string objectId, object? details)
    {
        var context = http.HttpContext;
        var user = context?.User;
        var signedIn = user?.Identity?.IsAuthenticated == true;
        var via = user?.FindFirstValue(AlbsClaimTypes.TokenId);
        var payload = details is null && via is null
            ? null
            : JsonSerializer.Serialize(new Dictionary<string, object?> { ["details"] = details, ["tokenId"] = via }, JsonSerializerOptions.Web);
        return new AuditEntry
        {
            At = clock.GetUtcNow().UtcDateTime,
            ActorId = signedIn ? user!.FindFirstValue(ClaimTypes.NameIdentifier) : null,
            Actor = signedIn ? user!.Identity!.Name ?? "unknown" : "system",
            Action = action,
            ObjectType = objectType,
            ObjectId = objectId,
            Details = payload,
            RemoteAddress = context?.Connection.RemoteIpAddress?.ToString(),
        };
    }
}
