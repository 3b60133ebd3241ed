using System.Security.Claims;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Identity.External;

/// <summary>
/// Turns a confirmed external login into a local sign-in: the linked user, a link to the user who
/// started it signed in, or a new user. An existing account is never taken over because its name
/// or e-mail matches the provider's (ADR 0013).
/// </summary>
internal sealed class ExternalLoginService(
    SignInManager<AlbsUser> signIn,
    UserManager<AlbsUser> users,
    ExternalLoginProviders providers,
    AlbsDbContext db,
    IAuditLog audit,
    TimeProvider clock,
    ILogger<ExternalLoginService> logger) : IExternalLogins
{
    /// <summary>Items of the challenge's properties, carried through the provider by the state.</summary>
    internal const string ReturnUrlItem = "albs:return-url";
    internal const string StartedByItem = "albs:started-by";

    /// <summary>How many names (<c>login</c>, <c>login-2</c>, …) a new user tries before giving up.</summary>
    private const int NameAttempts = 50;

    public Task<IReadOnlyList<ExternalLoginProvider>> ListProvidersAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(providers.All);

    /// <summary>The configured provider named <paramref name="scheme"/> (ignoring case), or null.</summary>
    public ExternalLoginProvider? Find(string scheme) =>
        providers.All.FirstOrDefault(p => string.Equals(p.Scheme, scheme, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// What the challenge carries to the provider and back: where to return, and who was signed in
    /// when it started (the callback links only to that same user).
    /// </summary>
    public AuthenticationProperties ChallengeProperties(string scheme, string? returnUrl, ClaimsPrincipal currentUser)
    {
        var properties = signIn.ConfigureExternalAuthenticationProperties(scheme, ExternalLoginPaths.Callback);
        properties.Items[ReturnUrlItem] = ExternalLoginPaths.LocalReturnUrl(returnUrl);
        if (SignedInUserId(currentUser) is { } userId)
        {
            properties.Items[StartedByItem] = userId;
        }

        return properties;
    }

    public async Task<ExternalLoginResult> CompleteAsync(ClaimsPrincipal currentUser, CancellationToken cancellationToken = default)
    {
        var info = await signIn.GetExternalLoginInfoAsync();
        var returnUrl = ExternalLoginPaths.LocalReturnUrl(Item(info?.AuthenticationProperties, ReturnUrlItem));
        if (info is null || Find(info.LoginProvider) is null)
        {
            logger.LogInformation("External sign-in callback without a confirmed external login (expired, or not started here).");
            return new(ExternalLoginOutcome.Failed, null, returnUrl);
        }

        try
        {
            var (outcome, userName) = await DecideAsync(info, SignedInUserId(currentUser), Item(info.AuthenticationProperties, StartedByItem), cancellationToken);
            logger.LogInformation("External sign-in with {Provider} as {ProviderUser} ({ProviderKey}): {Outcome} for {UserName}.",
                info.LoginProvider, info.Principal.FindFirstValue(ClaimTypes.Name), info.ProviderKey, outcome, userName);
            return new(outcome, userName, returnUrl);
        }
        finally
        {
            // The external cookie has served its purpose, whatever the outcome.
            await signIn.Context.SignOutAsync(IdentityConstants.ExternalScheme);
        }
    }

    /// <summary>An item the challenge put into the properties, or null.</summary>
    internal static string? Item(AuthenticationProperties? properties, string key) =>
        properties is not null && properties.Items.TryGetValue(key, out var value) ? value : null;

    private async Task<(ExternalLoginOutcome, string?)> DecideAsync(ExternalLoginInfo info, string? currentUserId, string? startedBy, CancellationToken ct)
    {
        // Linking only to the user who started the sign-in, so a login finished in someone else's
        // session (or after signing in or out in another tab) changes no account.
        if (!string.Equals(currentUserId, startedBy, StringComparison.Ordinal))
        {
            return (ExternalLoginOutcome.SessionChanged, null);
        }

        var owner = await users.FindByLoginAsync(info.LoginProvider, info.ProviderKey);
        if (currentUserId is not null)
        {
            return await LinkAsync(currentUserId, owner, info, ct);
        }

        if (owner is not null)
        {
            return await SignInAsync(owner, info, ExternalLoginOutcome.SignedIn);
        }

        var created = await CreateUserAsync(info, ct);
        return created is null ? (ExternalLoginOutcome.Failed, null) : await SignInAsync(created, info, ExternalLoginOutcome.Created);
    }

    private async Task<(ExternalLoginOutcome, string?)> LinkAsync(string userId, AlbsUser? owner, ExternalLoginInfo info, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return (ExternalLoginOutcome.Failed, null);
        }

        if (await users.IsLockedOutAsync(user))
        {
            return (ExternalLoginOutcome.LockedOut, user.UserName);
        }

        if (owner is not null)
        {
            return owner.Id == user.Id ? (ExternalLoginOutcome.AlreadyLinked, user.UserName) : (ExternalLoginOutcome.LinkedToAnotherUser, user.UserName);
        }

        var linked = await InTransactionAsync(async () => await AddLoginAsync(user, info, ct), ct);
        return linked ? (ExternalLoginOutcome.Linked, user.UserName) : (ExternalLoginOutcome.Failed, user.UserName);
    }

    private async Task<(ExternalLoginOutcome, string?)> SignInAsync(AlbsUser user, ExternalLoginInfo info, ExternalLoginOutcome success)
    {
        if (await users.IsLockedOutAsync(user) || !await signIn.CanSignInAsync(user))
        {
            return (ExternalLoginOutcome.LockedOut, user.UserName);
        }

        await signIn.SignInAsync(user, isPersistent: false, authenticationMethod: info.LoginProvider);
        return (success, user.UserName);
    }

    /// <summary>
    /// A new user named after the provider's login; when a local user has that name, the first free
    /// <c>login-N</c>. No password: the user signs in through the provider.
    /// </summary>
    private async Task<AlbsUser?> CreateUserAsync(ExternalLoginInfo info, CancellationToken ct)
    {
        var baseName = UserNameBase(info.Principal.FindFirstValue(ClaimTypes.Name), info.LoginProvider);
        for (var attempt = 1; attempt <= NameAttempts; attempt++)
        {
            var name = attempt == 1 ? baseName : $"{baseName}-{attempt}";
            if (await users.FindByNameAsync(name) is not null)
            {
                continue;
            }

            var user = new AlbsUser
            {
                UserName = name,
                // Kept as contact information only: never confirmed, never used to find an account.
                Email = info.Principal.FindFirstValue(ClaimTypes.Email),
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            var created = await InTransactionAsync(
                async () =>
                {
                    if (!Check(await users.CreateAsync(user), "create"))
                    {
                        return false;
                    }

                    await audit.RecordAsync("user.create", "user", name, new { user.Email, user.IsSuperuser, ExternalLogin = info.LoginProvider }, ct);
                    return await AddLoginAsync(user, info, ct);
                },
                ct);
            return created ? user : null;
        }

        logger.LogWarning("No free user name from '{Base}' after {Attempts} attempts.", baseName, NameAttempts);
        return null;
    }

    /// <summary>Adds the login to the user and records it in the audit log (inside the caller's transaction).</summary>
    private async Task<bool> AddLoginAsync(AlbsUser user, ExternalLoginInfo info, CancellationToken ct)
    {
        if (!Check(await users.AddLoginAsync(user, info), "link"))
        {
            return false;
        }

        await audit.RecordAsync("user.external-login.link", "user", user.UserName!, new
        {
            Provider = info.LoginProvider,
            info.ProviderKey,
            ProviderUserName = info.Principal.FindFirstValue(ClaimTypes.Name),
            ProviderFullName = info.Principal.FindFirstValue(ExternalLoginRegistration.FullNameClaim),
        }, ct);
        return true;
    }

    /// <summary>Runs Identity's saves and the audit entries as one transaction: a user is never left half made or unrecorded.</summary>
    private async Task<bool> InTransactionAsync(Func<Task<bool>> work, CancellationToken ct)
    {
        try
        {
            var strategy = db.Database.CreateExecutionStrategy();
            return await strategy.ExecuteAsync(async () =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                if (!await work())
                {
                    await transaction.RollbackAsync(ct);
                    return false;
                }

                await transaction.CommitAsync(ct);
                return true;
            });
        }
        catch (DbUpdateException e)
        {
            // A concurrent sign-in of the same person (or a user of the same name) won the race; the
            // next attempt finds what it made.
            logger.LogWarning(e, "External login could not be stored.");
            db.ChangeTracker.Clear();
            return false;
        }
    }

    private bool Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            logger.LogWarning("External login {What} refused: {Errors}", what, string.Join("; ", result.Errors.Select(e => e.Description)));
        }

        return result.Succeeded;
    }

    private string? SignedInUserId(ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated == true ? users.GetUserId(principal) : null;

    /// <summary>The provider's login reduced to the characters Identity allows in a user name.</summary>
    private string UserNameBase(string? login, string provider)
    {
        var allowed = users.Options.User.AllowedUserNameCharacters;
        var name = new string((login ?? "").Where(c => string.IsNullOrEmpty(allowed) || allowed.Contains(c, StringComparison.Ordinal)).Take(64).ToArray()).Trim('-', '.', '_');
        return name.Length > 0 ? name : provider.ToLowerInvariant() + "-user";
    }
}
