using Albs.Modules.Identity.Contracts;
using Albs.Web.Components;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Albs.Web;

/// <summary>What the host adds around the modules: pages, OpenAPI, problem details, health, security headers.</summary>
internal static class WebShell
{
    public static IServiceCollection AddWebShell(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddCascadingAuthenticationState();
        services.AddOpenApi();
        services.AddProblemDetails();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "albs.af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }

    public static WebApplication UseWebShell(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseWhen(c => IsApi(c.Request.Path), api => api.UseStatusCodePages());
        app.UseWhen(c => !IsApi(c.Request.Path), pages => pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            // Scripts only from this site (no inline script anywhere); htmx may add inline styles.
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";
            if (context.Request.IsHttps)
            {
                headers.StrictTransportSecurity = "max-age=31536000";
            }

            await next();
        });
        app.UseStaticFiles();
        // Explicit, after the status-code middleware, so a re-executed "/not-found" is routed again.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapWebShell(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync }).AllowAnonymous();
        app.MapOpenApi();
        app.MapPost("/account/logout", async (HttpContext context, IAntiforgery antiforgery, IAccountSignIn signIn) =>
            {
                // The antiforgery middleware only records its verdict; an endpoint that binds no
                // form must check it itself, or any site could sign people out.
                if (!await antiforgery.IsRequestValidAsync(context))
                {
                    return Results.Problem("The form expired or did not come from this site; reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
                }

                await signIn.SignOutAsync();
                return Results.LocalRedirect("/");
            })
            .DisableAntiforgery()
            .ExcludeFromDescription();
        app.MapRazorComponents<App>();
        return app;
    }

    private static bool IsApi(PathString path) => path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);
}
