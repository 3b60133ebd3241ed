using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Albs.Modules.Identity.External;

/// <summary>
/// Registers one OAuth handler per configured provider. The handler signs in to Identity's external
/// cookie; <see cref="ExternalLoginService"/> then turns that into a local user's sign-in.
/// </summary>
internal static class ExternalLoginRegistration
{
    /// <summary>The claim carrying the person's full name from the provider.</summary>
    public const string FullNameClaim = "albs:external-name";

    /// <summary>Reads <c>Identity:External</c>, fails the start with every configuration error, registers the providers.</summary>
    public static IServiceCollection AddExternalLogins(this IServiceCollection services, IConfiguration configuration)
    {
        var providers = Read(configuration);
        services.AddSingleton(new ExternalLoginProviders(providers.Select(p => new ExternalLoginProvider(p.Scheme, p.Options.DisplayName!)).ToList()));
        services.AddScoped<ExternalLoginService>();
        services.AddScoped<IExternalLogins>(sp => sp.GetRequiredService<ExternalLoginService>());

        var authentication = services.AddAuthentication();
        foreach (var (scheme, settings) in providers)
        {
            authentication.AddOAuth(scheme, settings.DisplayName!, o => Configure(o, settings));
        }

        return services;
    }

    /// <summary>The providers with a ClientId, defaults applied; throws naming every faulty key.</summary>
    internal static IReadOnlyList<(string Scheme, ExternalLoginOptions Options)> Read(IConfiguration configuration)
    {
        var providers = new List<(string, ExternalLoginOptions)>();
        var errors = new List<string>();
        foreach (var section in configuration.GetSection(ExternalLoginOptions.SectionName).GetChildren())
        {
            var settings = section.Get<ExternalLoginOptions>() ?? new ExternalLoginOptions();
            if (string.IsNullOrWhiteSpace(settings.ClientId))
            {
                // Present but switched off (e.g. a template section without credentials).
                continue;
            }

            settings.ApplyDefaults(section.Key);
            errors.AddRange(settings.Validate(section.Key));
            if (section.Key is IdentityModule.DefaultScheme or ApiTokenAuthenticationHandler.SchemeName)
            {
                errors.Add($"{ExternalLoginOptions.SectionName}:{section.Key}: the name is taken by a built-in sign-in scheme.");
            }

            providers.Add((section.Key, settings));
        }

        foreach (var clash in providers.GroupBy(p => p.Item2.CallbackPath, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"{ExternalLoginOptions.SectionName}: {string.Join(" and ", clash.Select(p => p.Item1))} share the CallbackPath '{clash.Key}'.");
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("External login configuration is invalid: " + string.Join(" ", errors));
        }

        return providers;
    }

    private static void Configure(OAuthOptions o, ExternalLoginOptions settings)
    {
        o.SignInScheme = IdentityConstants.ExternalScheme;
        o.ClientId = settings.ClientId!;
        o.ClientSecret = settings.ClientSecret!;
        o.AuthorizationEndpoint = settings.AuthorizationEndpoint!;
        o.TokenEndpoint = settings.TokenEndpoint!;
        o.UserInformationEndpoint = settings.UserInformationEndpoint!;
        o.CallbackPath = settings.CallbackPath;
        o.UsePkce = settings.UsePkce;
        foreach (var scope in settings.Scopes ?? [])
        {
            o.Scope.Add(scope);
        }

        // The provider comes back with a top-level GET, which SameSite=Lax cookies accompany; the
        // handler's default (None, always Secure) would be dropped on a plain-http installation.
        o.CorrelationCookie.SameSite = SameSiteMode.Lax;
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;

        o.ClaimActions.MapJsonKey(ClaimTypes.NameIdentifier, settings.UserIdField);
        o.ClaimActions.MapJsonKey(ClaimTypes.Name, settings.UserNameField);
        o.ClaimActions.MapJsonKey(ClaimTypes.Email, settings.EmailField);
        o.ClaimActions.MapJsonKey(FullNameClaim, settings.NameField);

        o.Events.OnCreatingTicket = ReadUserAsync;
        o.Events.OnAccessDenied = context =>
        {
            context.Response.Redirect(ExternalLoginEndpoints.LoginPage(ExternalLoginOutcome.Denied, ReturnUrl(context.Properties)));
            context.HandleResponse();
            return Task.CompletedTask;
        };
        o.Events.OnRemoteFailure = context =>
        {
            // Bad state, a provider error, a failing token or user endpoint: the person gets the login
            // page with a message; the details go to the log, never into the address bar.
            context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExternalLoginRegistration))
                .LogWarning(context.Failure, "External sign-in with {Scheme} failed: {Message}", context.Scheme.Name, context.Failure?.Message);
            context.Response.Redirect(ExternalLoginEndpoints.LoginPage(ExternalLoginOutcome.Failed, ReturnUrl(context.Properties)));
            context.HandleResponse();
            return Task.CompletedTask;
        };
    }

    /// <summary>Asks the provider's user endpoint who signed in, GitHub-style (a JSON object).</summary>
    private static async Task ReadUserAsync(OAuthCreatingTicketContext context)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, context.Options.UserInformationEndpoint);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", context.AccessToken);
        using var response = await context.Backchannel.SendAsync(request, context.HttpContext.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The user endpoint {context.Options.UserInformationEndpoint} answered {(int)response.StatusCode}.");
        }

        using var user = JsonDocument.Parse(await response.Content.ReadAsStringAsync(context.HttpContext.RequestAborted));
        if (user.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException($"The user endpoint {context.Options.UserInformationEndpoint} did not answer with a JSON object.");
        }

        context.RunClaimActions(user.RootElement);
        var key = context.Identity?.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (string.IsNullOrEmpty(key) || key.Length > 128)
        {
            throw new InvalidOperationException("The provider's user has no usable id (missing, or longer than 128 characters).");
        }
    }

    private static string? ReturnUrl(AuthenticationProperties? properties) =>
        ExternalLoginService.Item(properties, ExternalLoginService.ReturnUrlItem);
}

/// <summary>The configured providers, for the login page.</summary>
internal sealed record ExternalLoginProviders(IReadOnlyList<ExternalLoginProvider> All);
