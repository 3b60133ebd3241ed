using System.Security.Cryptography;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Albs.Modules.Identity.Teams;
using Albs.Modules.Identity.Tokens;
using Albs.Modules.Identity.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Identity.Bootstrap;

/// <summary>The <c>Identity</c> configuration section.</summary>
public sealed class IdentityModuleOptions
{
    public const string SectionName = "Identity";

    public BootstrapAdminOptions BootstrapAdmin { get; set; } = new();

    /// <summary>A known admin API token for automation (at least 32 characters, starting with <c>albs_</c>).</summary>
    public string? BootstrapAdminToken { get; set; }
}

public sealed class BootstrapAdminOptions
{
    public string UserName { get; set; } = "admin";

    /// <summary>Initial password; when absent a random one is generated and logged once.</summary>
    public string? Password { get; set; }

    public string? Email { get; set; }

    /// <summary>A team created with the first admin as its manager, so a fresh installation can build at once; empty for none.</summary>
    public string? Team { get; set; } = "demo";

    /// <summary>A product of that team; empty for none.</summary>
    public string? Product { get; set; } = "demo";
}

/// <summary>
/// Makes sure a first superuser exists, so a fresh installation can be administered, and seeds
/// the configured automation token. Existing accounts are never changed (a password someone set
/// since is kept).
/// </summary>
internal sealed class BootstrapAdminSeeder(IServiceScopeFactory scopes, IOptions<IdentityModuleOptions> options, ILogger<BootstrapAdminSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>();
        var settings = options.Value;
        var admin = await users.FindByNameAsync(settings.BootstrapAdmin.UserName);
        if (admin is null)
        {
            admin = await CreateAdminAsync(scope.ServiceProvider, users, settings.BootstrapAdmin);
            await SeedTeamAsync(scope.ServiceProvider, admin, settings.BootstrapAdmin, cancellationToken);
        }

        if (!string.IsNullOrEmpty(settings.BootstrapAdminToken))
        {
            await SeedTokenAsync(scope.ServiceProvider, admin, settings.BootstrapAdminToken, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<AlbsUser> CreateAdminAsync(IServiceProvider services, UserManager<AlbsUser> users, BootstrapAdminOptions settings)
    {
        var generated = string.IsNullOrEmpty(settings.Password);
        var password = generated ? GeneratePassword() : settings.Password!;
        var admin = new AlbsUser
        {
            UserName = settings.UserName,
            Email = settings.Email,
            EmailConfirmed = settings.Email is not null,
            IsSuperuser = true,
            CreatedAt = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
        };
        var result = await users.CreateAsync(admin, password);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"Could not create the bootstrap admin '{settings.UserName}': {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }

        if (generated)
        {
            // Printed once: the account exists from now on and the password is not kept anywhere.
            logger.LogWarning("Created bootstrap admin '{UserName}' with generated password: {Password}  (change it after signing in)", settings.UserName, password);
        }
        else
        {
            logger.LogInformation("Created bootstrap admin '{UserName}' with the configured password.", settings.UserName);
        }

        return admin;
    }

    /// <summary>Only with a new admin: on an existing installation, teams are the admins' business.</summary>
    private async Task SeedTeamAsync(IServiceProvider services, AlbsUser admin, BootstrapAdminOptions settings, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(settings.Team))
        {
            return;
        }

        var db = services.GetRequiredService<AlbsDbContext>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var name = settings.Team.Trim();
        if (Names.Validate(name, "team") is { } error)
        {
            throw new InvalidOperationException($"Identity:BootstrapAdmin:Team: {error}");
        }

        var team = await db.Set<Team>().SingleOrDefaultAsync(t => t.NormalizedName == Names.Normalize(name), ct);
        if (team is null)
        {
            team = new Team { Name = name, NormalizedName = Names.Normalize(name), Description = "Created with the first admin.", CreatedAt = now };
            db.Add(team);
            await db.SaveChangesAsync(ct);
        }

        db.Add(new TeamMembership { TeamId = team.Id, UserId = admin.Id, Role = TeamRole.Manager.ToWord(), GrantedAt = now });
        if (!string.IsNullOrWhiteSpace(settings.Product))
        {
            var product = settings.Product.Trim();
            if (Names.Validate(product, "product") is { } invalid)
            {
                throw new InvalidOperationException($"Identity:BootstrapAdmin:Product: {invalid}");
            }

            if (!await db.Set<Product>().AnyAsync(p => p.NormalizedName == Names.Normalize(product), ct))
            {
                db.Add(new Product { Name = product, NormalizedName = Names.Normalize(product), Title = product, TeamId = team.Id, IsCommunity = true, CreatedAt = now });
            }
        }

        await db.SaveChangesAsync(ct);
        logger.LogInformation("Made '{Admin}' manager of team '{Team}' (product '{Product}').", admin.UserName, name, settings.Product);
    }

    private async Task SeedTokenAsync(IServiceProvider services, AlbsUser admin, string secret, CancellationToken ct)
    {
        if (!secret.StartsWith(ApiTokenService.TokenPrefix, StringComparison.Ordinal) || secret.Length < 32)
        {
            throw new InvalidOperationException(
                $"Identity:BootstrapAdminToken must start with '{ApiTokenService.TokenPrefix}' and be at least 32 characters long.");
        }

        var db = services.GetRequiredService<AlbsDbContext>();
        var hash = ApiTokenService.Hash(secret);
        if (await db.Set<ApiToken>().AnyAsync(t => t.Hash == hash, ct))
        {
            return;
        }

        await services.GetRequiredService<ApiTokenService>().StoreAsync(admin.Id, "bootstrap (from configuration)", secret, null, ct);
        logger.LogInformation("Seeded the configured bootstrap admin API token.");
    }

    private static string GeneratePassword()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        var core = RandomNumberGenerator.GetString(alphabet, 20);
        // Identity's default rules want a digit, both cases and a symbol.
        return $"{core}-A7a";
    }
}
