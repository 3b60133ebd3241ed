using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Access;
using Albs.Modules.Identity.Audit;
using Albs.Modules.Identity.Bootstrap;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Endpoints;
using Albs.Modules.Identity.External;
using Albs.Modules.Identity.Teams;
using Albs.Modules.Identity.Tokens;
using Albs.Modules.Identity.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Modules.Identity;

/// <summary>Accounts, sign-in (cookie for pages, bearer API tokens for scripts), the first admin.</summary>
public static class IdentityModule
{
    /// <summary>Picks the bearer handler when the request carries a token, else the cookie.</summary>
    public const string DefaultScheme = "Albs";

    public static IServiceCollection AddIdentityModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IdentityModuleOptions>().Bind(configuration.GetSection(IdentityModuleOptions.SectionName));

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = DefaultScheme;
                o.DefaultChallengeScheme = DefaultScheme;
            })
            .AddPolicyScheme(DefaultScheme, "Cookie or API token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? ApiTokenAuthenticationHandler.SchemeName
                    : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();

        services.AddIdentityCore<AlbsUser>(o =>
            {
                o.User.RequireUniqueEmail = false;
                o.Password.RequiredLength = 10;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Lockout.AllowedForNewUsers = true;
            })
            .AddEntityFrameworkStores<AlbsDbContext>()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<AlbsClaimsPrincipalFactory>()
            .AddDefaultTokenProviders();

        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "albs.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/account/access-denied";
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromDays(7);
            // The API answers with status codes; only pages redirect to the login form.
            o.Events.OnRedirectToLogin = context => ApiAwareRedirect(context, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => ApiAwareRedirect(context, StatusCodes.Status403Forbidden);
        });

        services.AddAuthorizationBuilder()
            .AddPolicy(AlbsPolicies.Superuser, p => p.RequireAuthenticatedUser().AddRequirements(new SuperuserRequirement()))
            .AddPolicy(AlbsPolicies.SignedIn, p => p.RequireAuthenticatedUser());
        services.AddPermissions(IdentityPermissions.All);

        // A disabled user's or changed account's cookie sessions end within a minute (access checks
        // read the account from the database on every request regardless).
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));
        services.AddHttpContextAccessor();
        services.AddScoped<AccessControl>();
        services.AddScoped<IAccessControl>(sp => sp.GetRequiredService<AccessControl>());
        services.AddScoped<IAuthorizationHandler, SuperuserHandler>();
        services.AddScoped<AuditLog>();
        services.AddScoped<IAuditLog>(sp => sp.GetRequiredService<AuditLog>());
        services.AddScoped<IProductDirectory, ProductDirectory>();
        services.AddScoped<ITeamAdministration, TeamAdministration>();
        services.AddScoped<IUserAdministration, UserAdministration>();
        services.AddScoped<IApiTokens, ApiTokens>();
        services.AddScoped<ApiTokenService>();
        services.AddScoped<IAccountSignIn, AccountSignIn>();
        services.AddHostedService<BootstrapAdminSeeder>();
        services.AddExternalLogins(configuration);
        return services;
    }

    public static IEndpointRouteBuilder MapIdentityModule(this IEndpointRouteBuilder endpoints)
    {
        MeEndpoint.Map(endpoints);
        TokenEndpoints.Map(endpoints);
        TeamEndpoints.Map(endpoints);
        UserEndpoints.Map(endpoints);
        ExternalLoginEndpoints.Map(endpoints);
        return endpoints;
    }

    private static Task ApiAwareRedirect(RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
