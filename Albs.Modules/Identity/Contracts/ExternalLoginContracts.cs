using System.Security.Claims;

namespace Albs.Modules.Identity.Contracts;

/// <summary>An external login provider configured under <c>Identity:External:&lt;Scheme&gt;</c>.</summary>
/// <param name="Scheme">The authentication scheme and configuration key, e.g. <c>GitHub</c>.</param>
/// <param name="DisplayName">What the sign-in button says after "Sign in with".</param>
public sealed record ExternalLoginProvider(string Scheme, string DisplayName);

/// <summary>How an external sign-in ended; the login page words it for people.</summary>
public enum ExternalLoginOutcome
{
    /// <summary>The external login was linked to a user, who is now signed in.</summary>
    SignedIn,

    /// <summary>A new local user was created for the external login, linked and signed in.</summary>
    Created,

    /// <summary>The external login is now linked to the signed-in user.</summary>
    Linked,

    /// <summary>The external login was linked to the signed-in user before.</summary>
    AlreadyLinked,

    /// <summary>The external login belongs to another local user; nothing changed.</summary>
    LinkedToAnotherUser,

    /// <summary>The linked user is disabled or locked out.</summary>
    LockedOut,

    /// <summary>Someone signed in or out between leaving for the provider and coming back.</summary>
    SessionChanged,

    /// <summary>The person declined at the provider.</summary>
    Denied,

    /// <summary>
    /// The provider answered with an error, the state did not match, the token or user endpoint failed,
    /// or the sign-in expired.
    /// </summary>
    Failed,
}

/// <summary>The end of an external sign-in.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="UserName">The local user signed in or linked, when there is one.</param>
/// <param name="ReturnUrl">The local page to go to after a sign-in (never another site).</param>
public sealed record ExternalLoginResult(ExternalLoginOutcome Outcome, string? UserName, string ReturnUrl)
{
    /// <summary>True when someone is now signed in with the external login.</summary>
    public bool IsSignedIn => Outcome is ExternalLoginOutcome.SignedIn or ExternalLoginOutcome.Created;
}

/// <summary>
/// External login (OAuth, GitHub-style) linked to local users. Sign-in starts with a form post to
/// <see cref="ExternalLoginPaths.Challenge"/> and ends on <see cref="ExternalLoginPaths.Callback"/>.
/// </summary>
public interface IExternalLogins
{
    /// <summary>The configured providers, by scheme name.</summary>
    Task<IReadOnlyList<ExternalLoginProvider>> ListProvidersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Finishes the external sign-in the provider just confirmed: signs in the linked user, links the
    /// login to <paramref name="currentUser"/> when they started it signed in, or creates a new user.
    /// Never links to an existing account because its name or e-mail matches.
    /// </summary>
    Task<ExternalLoginResult> CompleteAsync(ClaimsPrincipal currentUser, CancellationToken cancellationToken = default);
}

/// <summary>The addresses of external sign-in and the words the login page reads.</summary>
public static class ExternalLoginPaths
{
    /// <summary>The callback every provider returns to (after the OAuth handler's own callback path).</summary>
    public const string Callback = "/account/external/callback";

    /// <summary>The login page's query parameter naming an <see cref="ExternalLoginOutcome"/>.</summary>
    public const string OutcomeParameter = "external";

    /// <summary>Where the sign-in form for <paramref name="scheme"/> posts (antiforgery token required).</summary>
    public static string Challenge(string scheme, string? returnUrl) =>
        $"/account/external/{Uri.EscapeDataString(scheme)}?returnUrl={Uri.EscapeDataString(LocalReturnUrl(returnUrl))}";

    /// <summary>Only same-site paths: a crafted return URL must not send people elsewhere.</summary>
    public static string LocalReturnUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";

    /// <summary>The kebab-case word for an outcome in <see cref="OutcomeParameter"/>.</summary>
    public static string ToWord(this ExternalLoginOutcome outcome) => outcome switch
    {
        ExternalLoginOutcome.SignedIn => "signed-in",
        ExternalLoginOutcome.Created => "created",
        ExternalLoginOutcome.Linked => "linked",
        ExternalLoginOutcome.AlreadyLinked => "already-linked",
        ExternalLoginOutcome.LinkedToAnotherUser => "linked-to-another-user",
        ExternalLoginOutcome.LockedOut => "locked-out",
        ExternalLoginOutcome.SessionChanged => "session-changed",
        ExternalLoginOutcome.Denied => "denied",
        _ => "failed",
    };

    /// <summary>The outcome named by <paramref name="word"/>, or null.</summary>
    public static ExternalLoginOutcome? ParseOutcome(string? word) =>
        Enum.GetValues<ExternalLoginOutcome>().Select(o => (ExternalLoginOutcome?)o).FirstOrDefault(o => o!.Value.ToWord() == word);
}
