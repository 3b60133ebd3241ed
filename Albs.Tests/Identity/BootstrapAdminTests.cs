using System.Net.Http.Json;
using Albs.Modules.Identity.Contracts;
using Albs.Tests.Support;

namespace Albs.Tests.Identity;

public sealed class BootstrapAdminTests
{
    [Fact]
    public async Task Without_a_configured_password_one_is_generated_printed_once_and_works()
    {
        using var database = TestDatabase.Sqlite();
        var settings = new Dictionary<string, string?> { ["Identity:BootstrapAdmin:Password"] = null, ["Identity:BootstrapAdmin:UserName"] = "root" };
        string password;
        using (var first = new AlbsWebApp(database, settings))
        {
            _ = first.Client();
            var line = first.Logs.Single(l => l.Contains("generated password", StringComparison.Ordinal));
            password = line.Split("generated password: ")[1].Split(' ')[0];
            var client = first.Client();
            await AlbsWebApp.SignInAsync(client, "root", password);
            (await client.GetFromJsonAsync<CurrentUserResponse>("/api/v1/me"))!.IsSuperuser.Should().BeTrue();
        }

        using var second = new AlbsWebApp(database, settings);
        _ = second.Client();
        second.Logs.Should().NotContain(l => l.Contains("generated password", StringComparison.Ordinal), "the password is printed only when the account is created");
        second.Logs.Should().NotContain(l => l.Contains(password, StringComparison.Ordinal));
    }

    [Fact]
    public void A_bootstrap_token_that_is_too_short_stops_the_start_with_a_clear_error()
    {
        using var database = TestDatabase.Sqlite();
        using var app = new AlbsWebApp(database, new Dictionary<string, string?> { ["Identity:BootstrapAdminToken"] = "albs_short" });
        var act = () => app.Client();
        act.Should().Throw<InvalidOperationException>().WithMessage("*BootstrapAdminToken must start with 'albs_' and be at least 32 characters*");
    }
}
