using System.Security.Claims;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Access;
using Albs.Modules.Identity.Audit;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Users;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Identity.Teams;

internal sealed class TeamAdministration(
    AlbsDbContext db, AccessControl access, AuditLog audit, UserManager<AlbsUser> users, IProductDirectory products, TimeProvider clock) : ITeamAdministration
{
    public async Task<IReadOnlyList<TeamDto>> ListTeamsAsync(CancellationToken cancellationToken = default)
    {
        var teams = await db.Set<Team>().AsNoTracking().OrderBy(t => t.NormalizedName).ToListAsync(cancellationToken);
        return await DescribeAsync(teams, cancellationToken);
    }

    public async Task<TeamDto?> FindTeamAsync(string name, CancellationToken cancellationToken = default) =>
        await FindAsync(name, cancellationToken) is { } team ? (await DescribeAsync([team], cancellationToken))[0] : null;

    public async Task<CommandResult<IReadOnlyList<TeamMemberDto>>> ListMembersAsync(ClaimsPrincipal actor, string team, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(team, cancellationToken) is not { } found)
        {
            return CommandResult.Fail<IReadOnlyList<TeamMemberDto>>(StatusCodes.Status404NotFound, $"There is no team {team}.");
        }

        var allowed = await access.CheckAsync(actor, IdentityPermissions.ReadTeam, found.Id, cancellationToken);
        return allowed.IsAllowed
            ? CommandResult.Ok(await MembersAsync(found.Id, cancellationToken))
            : CommandResult.Denied<IReadOnlyList<TeamMemberDto>>(allowed);
    }

    public async Task<CommandResult<TeamDto>> CreateTeamAsync(ClaimsPrincipal actor, CreateTeamRequest request, CancellationToken cancellationToken = default)
    {
        var allowed = await access.CheckAsync(actor, IdentityPermissions.CreateTeam, null, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<TeamDto>(allowed);
        }

        if (Names.Validate(request.Name, "team") is { } error)
        {
            return CommandResult.Invalid<TeamDto>("name", error);
        }

        if (request.Description?.Length > 2000)
        {
            return CommandResult.Invalid<TeamDto>("description", "description is at most 2000 characters");
        }

        var name = request.Name!.Trim();
        if (await FindAsync(name, cancellationToken) is not null)
        {
            return CommandResult.Fail<TeamDto>(StatusCodes.Status409Conflict, $"A team named {name} exists already.");
        }

        var caller = (await access.CallerAsync(actor, cancellationToken))!;
        var now = clock.GetUtcNow().UtcDateTime;
        var team = new Team { Name = name, NormalizedName = Names.Normalize(name), Description = request.Description, CreatedAt = now };
        await InTransactionAsync(
            async () =>
            {
                db.Add(team);
                await db.SaveChangesAsync(cancellationToken);
                db.Add(new TeamMembership { TeamId = team.Id, UserId = caller.Id, Role = TeamRole.Manager.ToWord(), GrantedAt = now });
                audit.Add("team.create", "team", team.Name, new { manager = caller.UserName });
                await db.SaveChangesAsync(cancellationToken);
            },
            cancellationToken);
        return CommandResult.Ok((await DescribeAsync([team], cancellationToken))[0]);
    }

    public async Task<CommandResult<TeamMemberDto>> SetMemberRolesAsync(
        ClaimsPrincipal actor, string team, string userName, SetMemberRolesRequest request, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(team, cancellationToken) is not { } found)
        {
            return CommandResult.Fail<TeamMemberDto>(StatusCodes.Status404NotFound, $"There is no team {team}.");
        }

        var allowed = await access.CheckAsync(actor, IdentityPermissions.ManageTeam, found.Id, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<TeamMemberDto>(allowed);
        }

        var roles = new SortedSet<TeamRole>();
        foreach (var word in request.Roles ?? [])
        {
            if (TeamRoles.Parse(word) is not { } role)
            {
                return CommandResult.Invalid<TeamMemberDto>("roles", $"'{word}' is not a role; roles are {string.Join(", ", TeamRoles.Words)}");
            }

            roles.Add(role);
        }

        if (await users.FindByNameAsync(userName) is not { } user)
        {
            return CommandResult.Fail<TeamMemberDto>(StatusCodes.Status404NotFound, $"There is no user {userName}.");
        }

        var manager = TeamRole.Manager.ToWord();
        var words = roles.Select(r => r.ToWord()).ToList();
        var current = await db.Set<TeamMembership>().Where(m => m.TeamId == found.Id && m.UserId == user.Id).ToListAsync(cancellationToken);
        if (current.Any(m => m.Role == manager) && !roles.Contains(TeamRole.Manager)
            && !await db.Set<TeamMembership>().AnyAsync(m => m.TeamId == found.Id && m.UserId != user.Id && m.Role == manager, cancellationToken))
        {
            return CommandResult.Fail<TeamMemberDto>(StatusCodes.Status409Conflict, $"{user.UserName} is the last manager of team {found.Name}; make someone else manager first.");
        }

        var before = current.Select(m => m.Role).Order(StringComparer.Ordinal).ToList();
        var now = clock.GetUtcNow().UtcDateTime;
        db.RemoveRange(current.Where(m => !words.Contains(m.Role)));
        foreach (var word in words.Where(w => !before.Contains(w)))
        {
            db.Add(new TeamMembership { TeamId = found.Id, UserId = user.Id, Role = word, GrantedAt = now });
        }

        audit.Add("team.member.roles", "team", found.Name, new { user = user.UserName, before, after = words });
        await db.SaveChangesAsync(cancellationToken);
        return CommandResult.Ok(new TeamMemberDto(user.UserName!, words));
    }

    public async Task<CommandResult<ProductDto>> CreateProductAsync(ClaimsPrincipal actor, CreateProductRequest request, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(request.Team ?? "", cancellationToken) is not { } team)
        {
            return CommandResult.Invalid<ProductDto>("team", string.IsNullOrWhiteSpace(request.Team) ? "team is required: the team that owns the product" : $"there is no team {request.Team}");
        }

        var allowed = await access.CheckAsync(actor, IdentityPermissions.ManageProducts, team.Id, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<ProductDto>(allowed);
        }

        if (Names.Validate(request.Name, "product") is { } error)
        {
            return CommandResult.Invalid<ProductDto>("name", error);
        }

        if (ValidateText(request.Title, request.Description) is { } invalid)
        {
            return CommandResult.Invalid<ProductDto>(invalid.Field, invalid.Message);
        }

        var name = request.Name!.Trim();
        if (await products.FindAsync(name, cancellationToken) is not null)
        {
            return CommandResult.Fail<ProductDto>(StatusCodes.Status409Conflict, $"A product named {name} exists already.");
        }

        var product = new Product
        {
            Name = name,
            NormalizedName = Names.Normalize(name),
            Title = string.IsNullOrWhiteSpace(request.Title) ? name : request.Title.Trim(),
            Description = request.Description,
            TeamId = team.Id,
            IsCommunity = request.IsCommunity,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Add(product);
        audit.Add("product.create", "product", name, new { team = team.Name, product.IsCommunity });
        await db.SaveChangesAsync(cancellationToken);
        return CommandResult.Ok((await products.FindByIdAsync(product.Id, cancellationToken))!);
    }

    public async Task<CommandResult<ProductDto>> UpdateProductAsync(ClaimsPrincipal actor, string product, UpdateProductRequest request, CancellationToken cancellationToken = default)
    {
        var normalized = Names.Normalize(product);
        if (await db.Set<Product>().SingleOrDefaultAsync(p => p.NormalizedName == normalized, cancellationToken) is not { } found)
        {
            return CommandResult.Fail<ProductDto>(StatusCodes.Status404NotFound, $"There is no product {product}.");
        }

        var allowed = await access.CheckAsync(actor, IdentityPermissions.ManageProducts, found.TeamId, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<ProductDto>(allowed);
        }

        if (ValidateText(request.Title ?? found.Title, request.Description) is { } invalid)
        {
            return CommandResult.Invalid<ProductDto>(invalid.Field, invalid.Message);
        }

        var changes = new Dictionary<string, object?>();
        if (request.Team is not null)
        {
            if (await FindAsync(request.Team, cancellationToken) is not { } target)
            {
                return CommandResult.Invalid<ProductDto>("team", $"there is no team {request.Team}");
            }

            var intoTarget = await access.CheckAsync(actor, IdentityPermissions.ManageProducts, target.Id, cancellationToken);
            if (!intoTarget.IsAllowed)
            {
                return CommandResult.Denied<ProductDto>(intoTarget);
            }

            if (target.Id != found.TeamId)
            {
                changes["team"] = target.Name;
                found.TeamId = target.Id;
            }
        }

        if (request.Title is not null && request.Title.Trim() != found.Title)
        {
            found.Title = request.Title.Trim();
            changes["title"] = found.Title;
        }

        if (request.Description is not null && request.Description != found.Description)
        {
            found.Description = request.Description.Length == 0 ? null : request.Description;
            changes["description"] = found.Description;
        }

        if (request.IsCommunity is { } community && community != found.IsCommunity)
        {
            found.IsCommunity = community;
            changes["isCommunity"] = community;
        }

        if (changes.Count > 0)
        {
            audit.Add("product.update", "product", found.Name, changes);
            await db.SaveChangesAsync(cancellationToken);
        }

        return CommandResult.Ok((await products.FindByIdAsync(found.Id, cancellationToken))!);
    }

    public async Task<IReadOnlyList<UserTeamDto>> TeamsOfAsync(string userId, CancellationToken cancellationToken = default)
    {
        var rows = await db.Set<TeamMembership>().AsNoTracking().Where(m => m.UserId == userId)
            .Join(db.Set<Team>(), m => m.TeamId, t => t.Id, (m, t) => new { t.Name, m.Role })
            .ToListAsync(cancellationToken);
        return [.. rows.GroupBy(r => r.Name).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase).Select(g => new UserTeamDto(g.Key, OrderRoles(g.Select(r => r.Role))))];
    }

    private static List<string> OrderRoles(IEnumerable<string> words) =>
        [.. words.Select(TeamRoles.Parse).OfType<TeamRole>().Order().Select(r => r.ToWord())];

    private static (string Field, string Message)? ValidateText(string? title, string? description) =>
        title?.Length > 200 ? ("title", "title is at most 200 characters")
        : description?.Length > 2000 ? ("description", "description is at most 2000 characters")
        : null;

    private async Task<Team?> FindAsync(string name, CancellationToken ct)
    {
        var normalized = Names.Normalize(name);
        return await db.Set<Team>().AsNoTracking().SingleOrDefaultAsync(t => t.NormalizedName == normalized, ct);
    }

    private async Task<IReadOnlyList<TeamMemberDto>> MembersAsync(long teamId, CancellationToken ct)
    {
        var rows = await db.Set<TeamMembership>().AsNoTracking().Where(m => m.TeamId == teamId)
            .Join(db.Set<AlbsUser>(), m => m.UserId, u => u.Id, (m, u) => new { u.UserName, m.Role })
            .ToListAsync(ct);
        return [.. rows.GroupBy(r => r.UserName!).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase).Select(g => new TeamMemberDto(g.Key, OrderRoles(g.Select(r => r.Role))))];
    }

    private async Task<IReadOnlyList<TeamDto>> DescribeAsync(IReadOnlyList<Team> teams, CancellationToken ct)
    {
        var ids = teams.Select(t => t.Id).ToList();
        var productNames = await db.Set<Product>().AsNoTracking().Where(p => ids.Contains(p.TeamId)).Select(p => new { p.TeamId, p.Name }).ToListAsync(ct);
        var memberRows = await db.Set<TeamMembership>().AsNoTracking().Where(m => ids.Contains(m.TeamId)).Select(m => new { m.TeamId, m.UserId }).Distinct().ToListAsync(ct);
        return [.. teams.Select(t => new TeamDto(
            t.Id,
            t.Name,
            t.Description,
            t.CreatedAt,
            [.. productNames.Where(p => p.TeamId == t.Id).Select(p => p.Name).Order(StringComparer.OrdinalIgnoreCase)],
            memberRows.Count(m => m.TeamId == t.Id)))];
    }

    private async Task InTransactionAsync(Func<Task> work, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await work();
            await transaction.CommitAsync(ct);
        });
    }
}
