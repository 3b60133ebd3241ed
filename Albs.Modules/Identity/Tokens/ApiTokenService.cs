using System.Security.Cryptography;
using System.Text;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Identity.Tokens;

internal sealed class ApiTokenService(AlbsDbContext db, TimeProvider clock)
{
    public const string TokenPrefix = "albs_";
    private const int MaxDays = 3650;

    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static string NewSecret() =>
        TokenPrefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public async Task<CreatedApiTokenResponse> CreateAsync(string userId, string name, int? expiresInDays, long? productId, CancellationToken ct)
    {
        var secret = NewSecret();
        var token = await StoreAsync(userId, name, secret, expiresInDays, ct, productId);
        return new CreatedApiTokenResponse(token.Id, token.Name, token.Prefix, secret, token.CreatedAt, token.ExpiresAt);
    }

    /// <summary>Stores a token whose secret the caller chose (the configured bootstrap token).</summary>
    public async Task<ApiToken> StoreAsync(string userId, string name, string secret, int? expiresInDays, CancellationToken ct, long? productId = null)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var token = new ApiToken
        {
            UserId = userId,
            Name = name,
            Prefix = secret[..Math.Min(12, secret.Length)],
            Hash = Hash(secret),
            CreatedAt = now,
            ExpiresAt = expiresInDays is { } days ? now.AddDays(days) : null,
            ProductId = productId,
        };
        db.Add(token);
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>The valid token with this secret, or null (unknown, revoked, expired).</summary>
    public async Task<ApiToken?> FindValidAsync(string secret, CancellationToken ct)
    {
        if (!secret.StartsWith(TokenPrefix, StringComparison.Ordinal) || secret.Length > 200)
        {
            return null;
        }

        var hash = Hash(secret);
        var now = clock.GetUtcNow().UtcDateTime;
        var token = await db.Set<ApiToken>().SingleOrDefaultAsync(t => t.Hash == hash, ct);
        if (token is null || token.RevokedAt is not null || token.ExpiresAt <= now)
        {
            return null;
        }

        // Record use, but not on every request: one write a minute per token is plenty.
        if (token.LastUsedAt is null || now - token.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            token.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }

        return token;
    }

    public static string? ValidateRequest(CreateApiTokenRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            return "name is required and at most 100 characters";
        }

        if (request.ExpiresInDays is < 1 or > MaxDays)
        {
            return $"expiresInDays must be between 1 and {MaxDays}, or absent for no expiry";
        }

        return null;
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
