namespace Albs.Modules.Identity.Contracts;

/// <summary>Body of <c>POST /api/v1/tokens</c>.</summary>
/// <param name="Name">What the token is for, e.g. "ci on builder3".</param>
/// <param name="ExpiresInDays">Lifetime in days; null for a token that does not expire.</param>
/// <param name="Product">Limits the token to this product: everything else is refused to it.</param>
public sealed record CreateApiTokenRequest(string Name, int? ExpiresInDays, string? Product = null);

/// <summary>A token as listed: never the secret.</summary>
public sealed record ApiTokenResponse(long Id, string Name, string Prefix, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt, DateTime? RevokedAt, string? Product = null, string? UserName = null);

/// <summary>A token just created: the only time <paramref name="Token"/> is shown.</summary>
public sealed record CreatedApiTokenResponse(long Id, string Name, string Prefix, string Token, DateTime CreatedAt, DateTime? ExpiresAt, string? Product = null);

/// <summary>Personal API tokens, for the API and the pages. Checks the actor itself.</summary>
public interface IApiTokens
{
    /// <summary>The actor's own tokens.</summary>
    Task<IReadOnlyList<ApiTokenResponse>> ListOwnAsync(System.Security.Claims.ClaimsPrincipal actor, CancellationToken cancellationToken = default);

    /// <summary>Every user's tokens: superusers only.</summary>
    Task<CommandResult<IReadOnlyList<ApiTokenResponse>>> ListAllAsync(System.Security.Claims.ClaimsPrincipal actor, CancellationToken cancellationToken = default);

    Task<CommandResult<CreatedApiTokenResponse>> CreateAsync(System.Security.Claims.ClaimsPrincipal actor, CreateApiTokenRequest request, CancellationToken cancellationToken = default);

    /// <summary>Revokes one of the actor's tokens, or any token for a superuser.</summary>
    Task<CommandResult<ApiTokenResponse>> RevokeAsync(System.Security.Claims.ClaimsPrincipal actor, long id, CancellationToken cancellationToken = default);
}
