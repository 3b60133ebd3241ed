namespace Albs.Modules.Identity.Contracts;

/// <summary>Claim types Albs adds to a signed-in principal.</summary>
public static class AlbsClaimTypes
{
    /// <summary>"true" for superusers.</summary>
    public const string Superuser = "albs:superuser";

    /// <summary>How the caller authenticated: "cookie" or "token".</summary>
    public const string AuthenticatedBy = "albs:authenticated-by";

    /// <summary>The id of the API token the caller used.</summary>
    public const string TokenId = "albs:token-id";

    /// <summary>The id of the one product a limited API token may act on.</summary>
    public const string TokenProductId = "albs:token-product";
}

/// <summary>Authorization policy names.</summary>
public static class AlbsPolicies
{
    /// <summary>Only superusers.</summary>
    public const string Superuser = "albs:superuser";

    /// <summary>Any signed-in user (the handler then checks the resource).</summary>
    public const string SignedIn = "albs:signed-in";
}

/// <summary>The caller, as <c>GET /api/v1/me</c> returns it.</summary>
public sealed record CurrentUserResponse(string Id, string UserName, string? Email, bool IsSuperuser, string AuthenticatedBy, IReadOnlyList<UserTeamDto>? Teams = null, string? TokenProduct = null);

/// <summary>Outcome of a password sign-in.</summary>
public enum SignInOutcome
{
    Succeeded,
    Failed,
    LockedOut,
    NotAllowed,
}

/// <summary>Cookie sign-in for the web pages.</summary>
public interface IAccountSignIn
{
    /// <summary>Checks the password (counting failures towards lock-out) and sets the cookie on success.</summary>
    Task<SignInOutcome> PasswordSignInAsync(string userName, string password, bool remember);

    Task SignOutAsync();
}
