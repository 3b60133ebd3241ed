using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Identity;

namespace Albs.Modules.Identity.Users;

internal sealed class AccountSignIn(SignInManager<AlbsUser> signIn) : IAccountSignIn
{
    public async Task<SignInOutcome> PasswordSignInAsync(string userName, string password, bool remember)
    {
        var result = await signIn.PasswordSignInAsync(userName, password, remember, lockoutOnFailure: true);
        return result switch
        {
            { Succeeded: true } => SignInOutcome.Succeeded,
            { IsLockedOut: true } => SignInOutcome.LockedOut,
            { IsNotAllowed: true } => SignInOutcome.NotAllowed,
            _ => SignInOutcome.Failed,
        };
    }

    public Task SignOutAsync() => signIn.SignOutAsync();
}
