using System.Security.Claims;
using System.Text.Encodings.Web;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Identity.Tokens;

/// <summary>Accepts <c>Authorization: Bearer albs_…</c> personal API tokens.</summary>
internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokenService tokens,
    UserManager<AlbsUser> users,
    IUserClaimsPrincipalFactory<AlbsUser> principals) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = await tokens.FindValidAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (token is null)
        {
            return AuthenticateResult.Fail("The API token is unknown, revoked or expired.");
        }

        var user = await users.FindByIdAsync(token.UserId);
        if (user is null || await users.IsLockedOutAsync(user))
        {
            return AuthenticateResult.Fail("The token's account is locked or gone.");
        }

        var principal = await principals.CreateAsync(user);
        // A token limited to a product never carries the superuser claim: it acts on its product only.
        var claims = token.ProductId is null ? principal.Claims : principal.Claims.Where(c => c.Type != AlbsClaimTypes.Superuser);
        var identity = new ClaimsIdentity(claims, SchemeName);
        identity.AddClaim(new Claim(AlbsClaimTypes.AuthenticatedBy, "token"));
        identity.AddClaim(new Claim(AlbsClaimTypes.TokenId, token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (token.ProductId is { } product)
        {
            identity.AddClaim(new Claim(AlbsClaimTypes.TokenProductId, product.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
