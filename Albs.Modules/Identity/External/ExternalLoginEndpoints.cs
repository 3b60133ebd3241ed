using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Identity.External;

/// <summary>The pages' side of external sign-in: the form post that leaves for the provider, and the way back.</summary>
internal static class ExternalLoginEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/account/external/{scheme}", ChallengeAsync).DisableAntiforgery().ExcludeFromDescription();
        endpoints.MapGet(ExternalLoginPaths.Callback, CallbackAsync).ExcludeFromDescription();
    }

    private static async Task<IResult> ChallengeAsync(string scheme, string? returnUrl, HttpContext context, IAntiforgery antiforgery, ExternalLoginService logins)
    {
        // The form binds nothing, so the antiforgery middleware would only record its verdict: without
        // this check any site could start a sign-in (or a link to the signed-in account) in our name.
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Results.Problem("The form expired or did not come from this site; reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (logins.Find(scheme) is not { } provider)
        {
            return Results.Problem($"No external login named '{scheme}' is configured.", statusCode: StatusCodes.Status404NotFound);
        }

        return Results.Challenge(logins.ChallengeProperties(provider.Scheme, returnUrl, context.User), [provider.Scheme]);
    }

    private static async Task<IResult> CallbackAsync(HttpContext context, IExternalLogins logins, CancellationToken ct)
    {
        var result = await logins.CompleteAsync(context.User, ct);
        return Results.Redirect(result.IsSignedIn ? result.ReturnUrl : LoginPage(result.Outcome, result.ReturnUrl));
    }

    /// <summary>The login page, telling how an external sign-in ended.</summary>
    public static string LoginPage(ExternalLoginOutcome outcome, string? returnUrl) =>
        $"/account/login?{ExternalLoginPaths.OutcomeParameter}={outcome.ToWord()}&ReturnUrl={Uri.EscapeDataString(ExternalLoginPaths.LocalReturnUrl(returnUrl))}";
}
