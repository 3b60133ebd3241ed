using System.Security.Claims;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Access;
using Albs.Modules.Identity.Audit;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Identity.Users;

internal sealed class UserAdministration(
    AlbsDbContext db, UserManager<AlbsUser> users, AccessControl access, AuditLog audit, ITeamAdministration teams, TimeProvider clock) : IUserAdministration
{
    private const int MaxPageSize = 200;

    public async Task<CommandResult<UserListResponse>> SearchAsync(ClaimsPrincipal actor, string? search, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        if (await DenyAsync<UserListResponse>(actor, cancellationToken) is { } denied)
        {
            return denied;
        }

        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return CommandResult.Invalid<UserListResponse>("page", $"page must be 1 or more and pageSize between 1 and {MaxPageSize}");
        }

        var query = db.Set<AlbsUser>().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim().ToUpperInvariant();
            query = query.Where(u => u.NormalizedUserName!.Contains(term) || (u.NormalizedEmail != null && u.NormalizedEmail.Contains(term)));
        }

        var total = await query.CountAsync(cancellationToken);
        var found = await query.OrderBy(u => u.NormalizedUserName).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        var items = new List<UserDto>(found.Count);
        foreach (var user in found)
        {
            items.Add(await DescribeAsync(user, cancellationToken));
        }

        return CommandResult.Ok(new UserListResponse(items, page, pageSize, total));
    }

    public async Task<CommandResult<UserDto>> GetAsync(ClaimsPrincipal actor, string userName, CancellationToken cancellationToken = default)
    {
        if (await DenyAsync<UserDto>(actor, cancellationToken) is { } denied)
        {
            return denied;
        }

        return await users.FindByNameAsync(userName) is { } user
            ? CommandResult.Ok(await DescribeAsync(user, cancellationToken))
            : CommandResult.Fail<UserDto>(StatusCodes.Status404NotFound, $"There is no user {userName}.");
    }

    public async Task<CommandResult<UserDto>> CreateAsync(ClaimsPrincipal actor, CreateUserRequest request, CancellationToken cancellationToken = default)
    {
        if (await DenyAsync<UserDto>(actor, cancellationToken) is { } denied)
        {
            return denied;
        }

        if (string.IsNullOrWhiteSpace(request.UserName))
        {
            return CommandResult.Invalid<UserDto>("userName", "userName is required");
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            return CommandResult.Invalid<UserDto>("password", "password is required");
        }

        if (await users.FindByNameAsync(request.UserName.Trim()) is not null)
        {
            return CommandResult.Fail<UserDto>(StatusCodes.Status409Conflict, $"A user named {request.UserName.Trim()} exists already.");
        }

        var user = new AlbsUser
        {
            UserName = request.UserName.Trim(),
            Email = string.IsNullOrWhiteSpace(request.Email) ? null : request.Email.Trim(),
            IsSuperuser = request.IsSuperuser,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        var result = await users.CreateAsync(user, request.Password);
        if (!result.Succeeded)
        {
            var field = result.Errors.Any(e => e.Code.StartsWith("Password", StringComparison.Ordinal)) ? "password" : "userName";
            return new CommandResult<UserDto>(default, StatusCodes.Status400BadRequest, string.Join(" ", result.Errors.Select(e => e.Description)),
                new Dictionary<string, string[]> { [field] = [.. result.Errors.Select(e => e.Description)] });
        }

        await audit.RecordAsync("user.create", "user", user.UserName, new { user.Email, user.IsSuperuser }, cancellationToken);
        return CommandResult.Ok(await DescribeAsync(user, cancellationToken));
    }

    public async Task<CommandResult<UserDto>> UpdateAsync(ClaimsPrincipal actor, string userName, UpdateUserRequest request, CancellationToken cancellationToken = default)
    {
        if (await DenyAsync<UserDto>(actor, cancellationToken) is { } denied)
        {
            return denied;
        }

        if (await users.FindByNameAsync(userName) is not { } user)
        {
            return CommandResult.Fail<UserDto>(StatusCodes.Status404NotFound, $"There is no user {userName}.");
        }

        var self = users.GetUserId(actor) == user.Id;
        if (self && (request.IsDisabled == true || request.IsSuperuser == false))
        {
            return CommandResult.Fail<UserDto>(StatusCodes.Status409Conflict, "You may not disable yourself or take away your own superuser rights; ask another superuser.");
        }

        var changes = new Dictionary<string, object?>();
        var now = clock.GetUtcNow();
        var disabled = user.LockoutEnd > now;
        if (request.IsDisabled is { } disable && disable != disabled)
        {
            user.LockoutEnabled = true;
            user.LockoutEnd = disable ? DateTimeOffset.MaxValue : null;
            user.AccessFailedCount = 0;
            changes["disabled"] = disable;
        }

        if (request.IsSuperuser is { } superuser && superuser != user.IsSuperuser)
        {
            user.IsSuperuser = superuser;
            changes["superuser"] = superuser;
        }

        if (request.Email is not null && request.Email.Trim() != (user.Email ?? ""))
        {
            user.Email = request.Email.Trim().Length == 0 ? null : request.Email.Trim();
            changes["email"] = user.Email;
        }

        if (changes.Count > 0)
        {
            // A new security stamp ends the user's cookie sessions at their next validation
            // (access checks read the account from the database on every request anyway). The
            // stamp's save writes the user's changes and the audit entry together.
            audit.Add("user.update", "user", user.UserName!, changes);
            var result = await users.UpdateSecurityStampAsync(user);
            if (!result.Succeeded)
            {
                db.ChangeTracker.Clear();
                return CommandResult.Invalid<UserDto>("email", string.Join(" ", result.Errors.Select(e => e.Description)));
            }
        }

        return CommandResult.Ok(await DescribeAsync(user, cancellationToken));
    }

    private async Task<CommandResult<T>?> DenyAsync<T>(ClaimsPrincipal actor, CancellationToken ct)
    {
        var allowed = await access.CheckAsync(actor, IdentityPermissions.AdministerUsers, null, ct);
        return allowed.IsAllowed ? null : CommandResult.Denied<T>(allowed);
    }

    private async Task<UserDto> DescribeAsync(AlbsUser user, CancellationToken ct)
    {
        var logins = await db.Set<IdentityUserLogin<string>>().AsNoTracking().Where(l => l.UserId == user.Id).Select(l => l.LoginProvider).ToListAsync(ct);
        return new UserDto(
            user.Id,
            user.UserName!,
            user.Email,
            user.IsSuperuser,
            user.LockoutEnd > clock.GetUtcNow(),
            user.CreatedAt,
            logins,
            await teams.TeamsOfAsync(user.Id, ct));
    }
}
