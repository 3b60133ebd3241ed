using System.Security.Claims;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Access;
using Albs.Modules.Identity.Audit;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Teams;
using Albs.Modules.Identity.Users;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Identity.Tokens;

/// <summary>The token commands shared by the API and the pages.</summary>
internal sealed class ApiTokens(AlbsDbContext db, ApiTokenService tokens, AccessControl access, AuditLog audit, IProductDirectory products, TimeProvider clock) : IApiTokens
{
    public async Task<IReadOnlyList<ApiTokenResponse>> ListOwnAsync(ClaimsPrincipal actor, CancellationToken cancellationToken = default) =>
        await access.CallerAsync(actor, cancellationToken) is { } caller ? await ListAsync(t => t.UserId == caller.Id, cancellationToken) : [];

    public async Task<CommandResult<IReadOnlyList<ApiTokenResponse>>> ListAllAsync(ClaimsPrincipal actor, CancellationToken cancellationToken = default)
    {
        var allowed = await access.CheckAsync(actor, IdentityPermissions.AdministerUsers, null, cancellationToken);
        return allowed.IsAllowed
            ? CommandResult.Ok(await ListAsync(_ => true, cancellationToken))
            : CommandResult.Denied<IReadOnlyList<ApiTokenResponse>>(allowed);
    }

    public async Task<CommandResult<CreatedApiTokenResponse>> CreateAsync(ClaimsPrincipal actor, CreateApiTokenRequest request, CancellationToken cancellationToken = default)
    {
        var allowed = await access.CheckAsync(actor, IdentityPermissions.OwnTokens, null, cancellationToken);
        if (!allowed.IsAllowed)
        {
            return CommandResult.Denied<CreatedApiTokenResponse>(allowed);
        }

        if (ApiTokenService.ValidateRequest(request) is { } error)
        {
            return CommandResult.Invalid<CreatedApiTokenResponse>("token", error);
        }

        ProductDto? product = null;
        if (!string.IsNullOrWhiteSpace(request.Product) && (product = await products.FindAsync(request.Product, cancellationToken)) is null)
        {
            return CommandResult.Invalid<CreatedApiTokenResponse>("product", $"there is no product {request.Product}");
        }

        var caller = (await access.CallerAsync(actor, cancellationToken))!;
        var created = await tokens.CreateAsync(caller.Id, request.Name.Trim(), request.ExpiresInDays, product?.Id, cancellationToken);
        await audit.RecordAsync("token.create", "token", created.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), new { owner = caller.UserName, created.Name, product = product?.Name, created.ExpiresAt }, cancellationToken);
        return CommandResult.Ok(created with { Product = product?.Name });
    }

    public async Task<CommandResult<ApiTokenResponse>> RevokeAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken = default)
    {
        if (await access.CallerAsync(actor, cancellationToken) is not { } caller)
        {
            return CommandResult.Fail<ApiTokenResponse>(StatusCodes.Status401Unauthorized, "Sign in or send an API token to do this.");
        }

        var token = await db.Set<ApiToken>().SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null || (token.UserId != caller.Id && !caller.IsSuperuser))
        {
            // Someone else's token is "not found", not "forbidden": ids reveal nothing.
            return CommandResult.Fail<ApiTokenResponse>(StatusCodes.Status404NotFound, $"You have no token {id}.");
        }

        if (caller.TokenProductId is not null && token.UserId == caller.Id && actor.FindFirstValue(AlbsClaimTypes.TokenId) != id.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return CommandResult.Fail<ApiTokenResponse>(StatusCodes.Status403Forbidden, "A token limited to a product may revoke only itself.");
        }

        if (token.RevokedAt is null)
        {
            token.RevokedAt = clock.GetUtcNow().UtcDateTime;
            audit.Add("token.revoke", "token", id.ToString(System.Globalization.CultureInfo.InvariantCulture), new { token.Name });
            await db.SaveChangesAsync(cancellationToken);
        }

        return CommandResult.Ok((await ListAsync(t => t.Id == id, cancellationToken))[0]);
    }

    private async Task<IReadOnlyList<ApiTokenResponse>> ListAsync(System.Linq.Expressions.Expression<Func<ApiToken, bool>> filter, CancellationToken ct) =>
        await db.Set<ApiToken>().AsNoTracking().Where(filter)
            .Join(db.Set<AlbsUser>(), t => t.UserId, u => u.Id, (t, u) => new { t, u.UserName })
            .OrderByDescending(x => x.t.Id)
            .Select(x => new ApiTokenResponse(
                x.t.Id, x.t.Name, x.t.Prefix, x.t.CreatedAt, x.t.ExpiresAt, x.t.LastUsedAt, x.t.RevokedAt,
                db.Set<Product>().Where(p => p.Id == x.t.ProductId).Select(p => p.Name).FirstOrDefault(),
                x.UserName))
            .ToListAsync(ct);
}
