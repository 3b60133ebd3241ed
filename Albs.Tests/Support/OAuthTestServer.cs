using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Support;

/// <summary>A GitHub user as <c>GET /user</c> shows it.</summary>
internal sealed record OAuthTestUser(long Id, string Login, string? Email = null, string? Name = null);

/// <summary>
/// A small GitHub-style OAuth 2.0 provider on real HTTP (Kestrel on loopback): <c>/login/oauth/authorize</c>
/// approves at once as <see cref="SignedInUser"/> (the person signed in at the provider),
/// <c>/login/oauth/access_token</c> trades a code for a token, <c>/user</c> shows the token's user.
/// Every check a real provider makes on the client is made here too.
/// </summary>
internal sealed class OAuthTestServer : IAsyncDisposable
{
    public const string ClientId = "albs-test-client";
    public const string ClientSecret = "albs-test-secret-0123456789";

    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, Grant> codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OAuthTestUser> tokens = new(StringComparer.Ordinal);

    private OAuthTestServer(WebApplication app) => this.app = app;

    /// <summary>http://127.0.0.1:port, without a trailing slash.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Who approves the next authorization; null makes the person decline (<c>error=access_denied</c>).</summary>
    public OAuthTestUser? SignedInUser { get; set; }

    /// <summary>The only redirect URI this client registered (GitHub's "Authorization callback URL").</summary>
    public string RegisteredRedirectUri { get; set; } = "http://localhost/signin-github";

    /// <summary>Requests the server answered, as "METHOD path: outcome", for failure messages.</summary>
    public ConcurrentQueue<string> Log { get; } = new();

    /// <summary>The settings that point the Albs host's GitHub provider at this server.</summary>
    public Dictionary<string, string?> Settings(string scheme = "GitHub") => new()
    {
        [$"Identity:External:{scheme}:ClientId"] = ClientId,
        [$"Identity:External:{scheme}:ClientSecret"] = ClientSecret,
        [$"Identity:External:{scheme}:AuthorizationEndpoint"] = Url + "/login/oauth/authorize",
        [$"Identity:External:{scheme}:TokenEndpoint"] = Url + "/login/oauth/access_token",
        [$"Identity:External:{scheme}:UserInformationEndpoint"] = Url + "/user",
    };

    public static async Task<OAuthTestServer> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var server = new OAuthTestServer(builder.Build());
        server.app.Run(server.ServeAsync);
        await server.app.StartAsync();
        server.Url = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return server;
    }

    private Task ServeAsync(HttpContext context) => (context.Request.Method, context.Request.Path.Value) switch
    {
        ("GET", "/login/oauth/authorize") => AuthorizeAsync(context),
        ("POST", "/login/oauth/access_token") => TokenAsync(context),
        ("GET", "/user") => UserAsync(context),
        _ => Answer(context, StatusCodes.Status404NotFound, "not found"),
    };

    private Task AuthorizeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string redirectUri = query["redirect_uri"]!, state = query["state"]!;
        if (query["client_id"] != ClientId || redirectUri != RegisteredRedirectUri || query["response_type"] != "code" || string.IsNullOrEmpty(state))
        {
            // GitHub shows an error page and never redirects to an unregistered URI.
            return Answer(context, StatusCodes.Status400BadRequest, $"authorize refused: client_id={query["client_id"]} redirect_uri={redirectUri}");
        }

        if (SignedInUser is not { } user)
        {
            Log.Enqueue("authorize: declined");
            context.Response.Redirect(QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?>
            {
                ["error"] = "access_denied",
                ["error_description"] = "The user has denied your application access.",
                ["state"] = state,
            }));
            return Task.CompletedTask;
        }

        var code = RandomNumberGenerator.GetHexString(20, lowercase: true);
        codes[code] = new Grant(user, redirectUri, query["code_challenge"], query["code_challenge_method"]);
        Log.Enqueue($"authorize: code for {user.Login}");
        context.Response.Redirect(QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?> { ["code"] = code, ["state"] = state }));
        return Task.CompletedTask;
    }

    private async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
        {
            // GitHub answers 200 with an error object here, not a 4xx.
            await Json(context, StatusCodes.Status200OK, """{"error":"incorrect_client_credentials","error_description":"The client_id and/or client_secret passed are incorrect."}""");
            return;
        }

        // A code is good for one exchange, for the redirect URI it was issued to, with its PKCE verifier.
        if (!codes.TryRemove(form["code"].ToString(), out var grant) || form["redirect_uri"] != grant.RedirectUri
            || form["grant_type"] != "authorization_code" || !VerifierMatches(grant, form["code_verifier"]))
        {
            await Json(context, StatusCodes.Status400BadRequest, """{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}""");
            return;
        }

        var token = "gho_" + RandomNumberGenerator.GetHexString(36, lowercase: true);
        tokens[token] = grant.User;
        Log.Enqueue($"token: issued for {grant.User.Login}");
        await Json(context, StatusCodes.Status200OK, $$"""{"access_token":"{{token}}","token_type":"bearer","scope":""}""");
    }

    private async Task UserAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..]
            : header.StartsWith("token ", StringComparison.OrdinalIgnoreCase) ? header[6..]
            : "";
        if (!tokens.TryGetValue(token.Trim(), out var user))
        {
            await Json(context, StatusCodes.Status401Unauthorized, """{"message":"Requires authentication"}""");
            return;
        }

        var body = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["login"] = user.Login,
            ["id"] = user.Id,
            ["type"] = "User",
            ["name"] = user.Name,
            ["email"] = user.Email,
        });
        await Json(context, StatusCodes.Status200OK, body);
    }

    private static bool VerifierMatches(Grant grant, string? verifier)
    {
        if (string.IsNullOrEmpty(grant.Challenge))
        {
            return true;
        }

        if (grant.ChallengeMethod != "S256" || string.IsNullOrEmpty(verifier))
        {
            return false;
        }

        return WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) == grant.Challenge;
    }

    private Task Json(HttpContext context, int status, string body)
    {
        Log.Enqueue($"{context.Request.Method} {context.Request.Path}: {status} {body}");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body);
    }

    private Task Answer(HttpContext context, int status, string text)
    {
        Log.Enqueue($"{context.Request.Method} {context.Request.Path}: {status} {text}");
        context.Response.StatusCode = status;
        return context.Response.WriteAsync(text);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private sealed record Grant(OAuthTestUser User, string RedirectUri, string? Challenge, string? ChallengeMethod);
}
