namespace Albs.Modules.Identity.Contracts;

/// <summary>Body of <c>POST /api/v1/tokens</c>.</summary>
/// <param name="Name">What the token is for, e.g. "ci on builder3".</param>
/// <param name="ExpiresInDays">Lifetime in days; null for a token that does not expire.</param>
public sealed record CreateApiTokenRequest(string Name, int? ExpiresInDays);

/// <summary>A token as listed: never the secret.</summary>
public sealed record ApiTokenResponse(long Id, string Name, string Prefix, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt, DateTime? RevokedAt);

/// <summary>A token just created: the only time <paramref name="Token"/> is shown.</summary>
public sealed record CreatedApiTokenResponse(long Id, string Name, string Prefix, string Token, DateTime CreatedAt, DateTime? ExpiresAt);
