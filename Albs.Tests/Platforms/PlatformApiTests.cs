using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Identity.Users;
using Albs.Modules.Platforms.Contracts;
using Albs.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Platforms;

public sealed class PlatformApiTests : WebAppTest
{
    internal static PlatformRequest Valid(string name = "Rocky-9") => new(
        name, "Rocky Linux", "9", ["x86_64", "aarch64"], DistTag: ".el9",
        RpmMacros: new Dictionary<string, string> { ["vendor"] = "Rocky" },
        Repositories: [new("baseos", "https://dl.rockylinux.org/pub/rocky/9/BaseOS/$basearch/os/")]);

    [Fact]
    public async Task The_seeded_platforms_are_listed_to_anyone()
    {
        var platforms = (await App.Client().GetFromJsonAsync<List<PlatformDto>>("/api/v1/platforms"))!;
        platforms.Select(p => p.Name).Should().Equal("AlmaLinux-10", "AlmaLinux-8", "AlmaLinux-9", "Demo-1");

        var alma10 = platforms.Single(p => p.Name == "AlmaLinux-10");
        alma10.Arches.Should().Equal("x86_64", "aarch64", "ppc64le", "s390x");
        alma10.DistTag.Should().Be(".el10");
        var alma9 = platforms.Single(p => p.Name == "AlmaLinux-9");
        alma9.Arches.Should().Contain("i686");
        alma9.Repositories.Should().Contain(r => r.Name == "baseos" && r.Url == "https://repo.almalinux.org/almalinux/9/BaseOS/$basearch/os/");
        alma9.RpmMacros["vendor"].Should().Be("AlmaLinux");
        alma9.TimeoutMinutes.Should().Be(720);
        var demo = platforms.Single(p => p.Name == "Demo-1");
        demo.Arches.Should().Equal("x86_64");
        (demo.NoarchArch, demo.DistTag, demo.TimeoutMinutes, demo.Repositories.Count).Should().Be(("x86_64", ".demo1", 60, 0));
    }

    [Fact]
    public async Task One_platform_is_found_by_name_ignoring_case_and_unknown_is_404()
    {
        var client = App.Client();
        var json = await client.GetStringAsync("/api/v1/platforms/almalinux-9");
        json.Should().Contain("\"name\":\"AlmaLinux-9\"").And.Contain("\"distTag\":\".el9\"").And.Contain("\"timeoutMinutes\":720")
            .And.Contain("\"noarchArch\":\"x86_64\"").And.Contain("\"rpmMacros\":{\"bugurl\"").And.NotContain("\"timeout\":");
        (await client.GetAsync("/api/v1/platforms/Nope-1")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_superuser_creates_and_replaces_a_platform()
    {
        var admin = App.AdminClient();
        var created = await admin.PostAsJsonAsync("/api/v1/platforms", Valid() with { Arches = ["aarch64"] });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        created.Headers.Location!.ToString().Should().Be("/api/v1/platforms/Rocky-9");
        var platform = (await created.Content.ReadFromJsonAsync<PlatformDto>())!;
        (platform.NoarchArch, platform.TimeoutMinutes, platform.IsActive, platform.MockTemplate).Should().Be(("aarch64", 720, true, ""), "defaults apply");

        var replaced = await admin.PutAsJsonAsync("/api/v1/platforms/rocky-9", Valid() with
        {
            Name = null,
            Arches = ["x86_64", "aarch64", "ppc64le"],
            NoarchArch = "aarch64",
            TimeoutMinutes = 90,
            IsActive = false,
            Repositories = [new("local", "file:///srv/repos/rocky9/", ["ppc64le"])],
        });
        replaced.StatusCode.Should().Be(HttpStatusCode.OK);

        var read = (await App.Client().GetFromJsonAsync<PlatformDto>("/api/v1/platforms/Rocky-9"))!;
        (read.Name, read.NoarchArch, read.TimeoutMinutes, read.IsActive).Should().Be(("Rocky-9", "aarch64", 90, false));
        read.Arches.Should().Equal("x86_64", "aarch64", "ppc64le");
        read.Repositories.Should().ContainSingle().Which.Arches.Should().Equal("ppc64le");
        read.CreatedAt.Should().Be(platform.CreatedAt);
        read.UpdatedAt.Should().BeOnOrAfter(platform.UpdatedAt);

        var catalog = App.Services.GetRequiredService<IPlatformCatalog>();
        (await catalog.ListAsync(includeInactive: false, default)).Select(p => p.Name).Should().NotContain("Rocky-9", "it is inactive now");
        (await catalog.FindAsync("ROCKY-9", default))!.TimeoutMinutes.Should().Be(90);
    }

    [Fact]
    public async Task Replacing_an_unknown_platform_is_404_and_renaming_is_refused()
    {
        var admin = App.AdminClient();
        (await admin.PutAsJsonAsync("/api/v1/platforms/Nope-1", Valid("Nope-1"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var rename = await admin.PutAsJsonAsync("/api/v1/platforms/Demo-1", Valid("Demo-2"));
        rename.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await rename.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.Should().ContainKey("name");
    }

    [Fact]
    public async Task A_duplicate_name_is_409_even_in_another_case()
    {
        var admin = App.AdminClient();
        (await admin.PostAsJsonAsync("/api/v1/platforms", Valid("AlmaLinux-9"))).StatusCode.Should().Be(HttpStatusCode.Conflict);
        var response = await admin.PostAsJsonAsync("/api/v1/platforms", Valid("almalinux-9"));
        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task Writing_needs_a_superuser()
    {
        (await App.Client().PostAsJsonAsync("/api/v1/platforms", Valid())).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await App.Client().PutAsJsonAsync("/api/v1/platforms/Demo-1", Valid("Demo-1"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        await using (var scope = App.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AlbsUser>>();
            (await users.CreateAsync(new AlbsUser { UserName = "packager", CreatedAt = DateTime.UtcNow }, "Packager-Pass-42")).Succeeded.Should().BeTrue();
        }

        var packager = App.Client();
        await AlbsWebApp.SignInAsync(packager, "packager", "Packager-Pass-42");
        (await packager.PostAsJsonAsync("/api/v1/platforms", Valid())).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await packager.PutAsJsonAsync("/api/v1/platforms/Demo-1", Valid("Demo-1"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Every_invalid_field_is_reported_by_name()
    {
        var request = new PlatformRequest(
            "bad name!", "", "9 9", ["x86_64", "sparc64"], "ppc64le", "el9",
            new Dictionary<string, string> { ["%dist"] = ".el9", ["ok"] = "{{ config_opts }}" },
            [new("base os", "ftp://example.org/"), new("b", "https://example.org/\n[evil]"), new("c", "https://example.org/", ["s390x"])],
            "x", 0, true);
        var response = await App.AdminClient().PostAsJsonAsync("/api/v1/platforms", request);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        problem.Errors.Keys.Should().BeEquivalentTo(
            "name", "distributionName", "distributionVersion", "arches", "noarchArch", "distTag", "rpmMacros", "rpmMacros.ok",
            "repositories[0].name", "repositories[0].url", "repositories[1].url", "repositories[2].arches", "timeoutMinutes");
        problem.Errors["arches"].Should().ContainSingle().Which.Should().Contain("sparc64");
    }

    [Theory]
    [InlineData("arches", """{"name":"X-1","distributionName":"X","distributionVersion":"1","arches":[],"distTag":".x1"}""")]
    [InlineData("arches", """{"name":"X-1","distributionName":"X","distributionVersion":"1","distTag":".x1"}""")]
    [InlineData("timeoutMinutes", """{"name":"X-1","distributionName":"X","distributionVersion":"1","arches":["x86_64"],"distTag":".x1","timeoutMinutes":4321}""")]
    [InlineData("distTag", """{"name":"X-1","distributionName":"X","distributionVersion":"1","arches":["x86_64"],"distTag":".x1'"}""")]
    [InlineData("name", """{"name":"-x","distributionName":"X","distributionVersion":"1","arches":["x86_64"],"distTag":".x1"}""")]
    [InlineData("repositories[0].url", """{"name":"X-1","distributionName":"X","distributionVersion":"1","arches":["x86_64"],"distTag":".x1","repositories":[{"name":"r","url":"javascript:alert(1)"}]}""")]
    [InlineData("repositories[1].name", """{"name":"X-1","distributionName":"X","distributionVersion":"1","arches":["x86_64"],"distTag":".x1","repositories":[{"name":"r","url":"https://a/"},{"name":"R","url":"https://b/"}]}""")]
    public async Task A_single_invalid_field_is_a_validation_problem(string field, string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await App.AdminClient().PostAsync("/api/v1/platforms", content);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.Keys.Should().Equal(field);
    }
}
