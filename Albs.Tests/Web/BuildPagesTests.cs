using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Identity.Contracts;
using Albs.Tests.Builds;
using Albs.Tests.Support;
using Albs.Web.Components.Shared;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Albs.Tests.Web;

/// <summary>The build list and the build page on the real host, with builds submitted through the API (and a real agent where one must finish).</summary>
public sealed class BuildPagesTests : BuildAgentTest
{
    [Fact]
    public async Task The_list_shows_builds_newest_first_filters_them_and_pages()
    {
        var first = await SubmitAsync(Demo(Hello.Url));
        var second = await SubmitAsync(Demo(Hello.Url));
        var third = await SubmitAsync(Demo(Hello.Url));
        (await App.AdminClient().PostAsync($"/api/v1/builds/{second.Id}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        var anonymous = App.Client();

        var all = await PageKit.GetAsync(anonymous, "/builds");
        Rows(all).Should().Equal(third.Id, second.Id, first.Id);
        var row = all.QuerySelector($"tr[data-build='{first.Id}']")!;
        row.QuerySelector($"a[href='builds/{first.Id}']").Should().NotBeNull();
        row.QuerySelector("[data-testid=packages]")!.TextContent.Should().Be("hello");
        row.TextContent.Should().Contain("demo").And.Contain("Demo-1").And.Contain("x86_64").And.Contain("admin");
        all.QuerySelectorAll("[data-testid=build-filters] input, [data-testid=build-filters] select")
            .Should().OnlyContain(i => all.QuerySelector($"label[for='{i.Id}']") != null, "every filter has a label");
        all.QuerySelector("[data-testid=builds] caption").Should().NotBeNull();

        Rows(await PageKit.GetAsync(anonymous, "/builds?status=cancelled")).Should().Equal(second.Id);
        Rows(await PageKit.GetAsync(anonymous, "/builds?package=hello&product=demo&createdBy=admin&platform=Demo-1&arch=x86_64")).Should().HaveCount(3);
        Rows(await PageKit.GetAsync(anonymous, "/builds?package=bash")).Should().BeEmpty();
        Rows(await PageKit.GetAsync(anonymous, "/builds?product=other")).Should().BeEmpty();
        Rows(await PageKit.GetAsync(anonymous, $"/builds?from={DateTime.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm}")).Should().BeEmpty();
        Rows(await PageKit.GetAsync(anonymous, $"/builds?to={DateTime.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm}")).Should().HaveCount(3);
        (await PageKit.GetAsync(anonymous, "/builds?status=idle")).QuerySelector("#f-status option[value=idle]")!.HasAttribute("selected").Should().BeTrue();

        var page1 = await PageKit.GetAsync(anonymous, "/builds?product=demo&pageSize=2");
        Rows(page1).Should().Equal(third.Id, second.Id);
        var next = page1.QuerySelector("a[rel=next]")!.GetAttribute("href")!;
        next.Should().Contain("product=demo").And.Contain("page=2");
        Rows(await PageKit.GetAsync(anonymous, "/" + next)).Should().Equal(first.Id);

        // The API answers the same list, the date range included.
        var api = (await anonymous.GetFromJsonAsync<BuildListResponse>($"/api/v1/builds?from={DateTime.UtcNow.AddHours(1):O}"))!;
        api.Total.Should().Be(0);
        (await anonymous.GetFromJsonAsync<BuildListResponse>($"/api/v1/builds?to={DateTime.UtcNow.AddHours(1):O}&status=idle"))!.Total.Should().Be(2);
    }

    [Fact]
    public async Task The_build_page_shows_a_completed_build_with_its_tasks_agent_artifacts_and_logs()
    {
        await RegisterAgentAsync("builder1");
        var submitted = await SubmitAsync(Demo(Hello.Url));
        var build = await WaitForEndAsync(submitted.Id);
        build.Status.Should().Be("completed", string.Join('\n', build.Tasks.Select(t => t.Error)));
        var anonymous = App.Client();

        var page = await PageKit.GetAsync(anonymous, $"/builds/{build.Id}");
        page.QuerySelector("h1 [data-status]")!.TextContent.Should().Be("completed");
        page.QuerySelector("[data-testid=created-by]")!.TextContent.Should().Be("admin");
        page.QuerySelector("[data-testid=product]")!.TextContent.Trim().Should().Be("demo");
        page.QuerySelector("[data-testid=commit]")!.TextContent.Trim().Should().Be(build.Sources[0].Commit);
        page.QuerySelector("[data-testid=build-live]")!.HasAttribute("hx-trigger").Should().BeFalse("a finished build is not polled");
        page.QuerySelector("[data-testid=build-live]")!.HasAttribute("data-events").Should().BeFalse("a finished build is not followed");
        page.QuerySelectorAll("script[src='js/buildlive.js']").Should().BeEmpty();
        page.QuerySelector("[data-testid=build-actions]").Should().BeNull("nobody is signed in");

        var matrix = page.QuerySelector("[data-testid=task-matrix]")!;
        matrix.QuerySelector("caption").Should().NotBeNull();
        foreach (var task in build.Tasks)
        {
            var cell = matrix.QuerySelector($"[data-task='{task.Id}']")!;
            cell.QuerySelector("[data-status]")!.TextContent.Should().Be("completed");
            cell.QuerySelector("[data-testid=agent]")!.TextContent.Should().Be("builder1");
            cell.QuerySelector("[data-testid=attempt]")!.TextContent.Should().Be("attempt 1");
            cell.QuerySelector("[data-testid=duration]")!.TextContent.Should().NotBeEmpty();

            var section = page.QuerySelector($"section[data-task='{task.Id}']")!;
            section.QuerySelectorAll("a[data-testid=log]").Select(a => a.GetAttribute("href"))
                .Should().Equal(task.Logs.Select(l => $"builds/{build.Id}/tasks/{task.Id}/logs/{l}")).And.NotBeEmpty();
            task.Artifacts.Should().NotBeEmpty();
            foreach (var artifact in task.Artifacts)
            {
                var row = section.QuerySelector($"tr[data-artifact='{artifact.Name}']")!;
                row.QuerySelector("[data-testid=sha256]")!.TextContent.Should().Be(artifact.Sha256);
                row.TextContent.Should().Contain(artifact.Type);
                var href = row.QuerySelector("a")!.GetAttribute("href")!;
                href.Should().Be(artifact.Url);
                var bytes = await anonymous.GetByteArrayAsync(href);
                Convert.ToHexStringLower(SHA256.HashData(bytes)).Should().Be(artifact.Sha256, "the download link serves the artifact");
            }
        }

        page.QuerySelectorAll("[data-testid=artifacts] tr[data-artifact$='.x86_64.rpm']").Should().NotBeEmpty();
    }

    [Fact]
    public async Task The_nevra_filter_finds_the_build_of_a_package_in_every_accepted_form_on_the_api_and_the_page()
    {
        await RegisterAgentAsync("builder1");
        var built = await WaitForEndAsync((await SubmitAsync(Demo(Hello.Url))).Id);
        built.Status.Should().Be("completed", string.Join('\n', built.Tasks.Select(t => t.Error)));
        var rpm = built.Tasks.SelectMany(t => t.Artifacts).Single(a => a.Type == "rpm" && a.Name.StartsWith("hello-1.0-", StringComparison.Ordinal) && a.Name.EndsWith(".x86_64.rpm", StringComparison.Ordinal));
        var srpm = built.Tasks.SelectMany(t => t.Artifacts).Single(a => a.Type == "srpm");
        rpm.Nevra.Should().StartWith("hello-1.0-1").And.EndWith(".x86_64");
        var nevr = rpm.Nevra![..^".x86_64".Length];
        var anonymous = App.Client();

        string[] matching = [rpm.Nevra, nevr, rpm.Name, srpm.Nevra!, srpm.Name, "hello-0:" + nevr["hello-".Length..], $"{rpm.Nevra}&status=completed"];
        foreach (var nevra in matching)
        {
            var list = (await anonymous.GetFromJsonAsync<BuildListResponse>($"/api/v1/builds?nevra={Escape(nevra)}"))!;
            list.Items.Select(i => i.Id).Should().Equal([built.Id], nevra);
            list.Total.Should().Be(1);
            Rows(await PageKit.GetAsync(anonymous, $"/builds?nevra={Escape(nevra)}")).Should().Equal([built.Id], nevra);
        }

        string[] missing = [nevr + ".aarch64", "hello-1:" + nevr["hello-".Length..], "hello-9.9-1", "bash-1.0-1.x86_64.rpm", $"{rpm.Nevra}&status=failed"];
        foreach (var nevra in missing)
        {
            (await anonymous.GetFromJsonAsync<BuildListResponse>($"/api/v1/builds?nevra={Escape(nevra)}"))!.Total.Should().Be(0, nevra);
            Rows(await PageKit.GetAsync(anonymous, $"/builds?nevra={Escape(nevra)}")).Should().BeEmpty(nevra);
        }

        Rows(await PageKit.GetAsync(anonymous, "/builds")).Should().Equal(built.Id);
        var next = (await PageKit.GetAsync(anonymous, $"/builds?nevra={Escape(nevr)}&pageSize=1")).QuerySelector("a[rel=next]");
        next.Should().BeNull("one build matches");

        // A bad NEVRA: 400 with problem details on the API, a message beside the field on the page.
        var response = await anonymous.GetAsync("/api/v1/builds?nevra=hello");
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ValidationProblemDetails>())!;
        problem.Errors["nevra"].Single().Should().Contain("'hello' is not a NEVRA");
        var page = await PageKit.GetAsync(anonymous, "/builds?nevra=hello");
        page.QuerySelector("[data-field=nevra]")!.TextContent.Should().Contain("'hello' is not a NEVRA");
        page.QuerySelector("#f-nevra")!.ClassList.Should().Contain("is-invalid");
        page.QuerySelector("#f-nevra")!.GetAttribute("value").Should().Be("hello");
        page.QuerySelector("[data-testid=builds]").Should().BeNull();
    }

    private static string Escape(string query) =>
        string.Join('&', query.Split('&').Select((part, i) => i == 0 ? Uri.EscapeDataString(part) : part));

    [Fact]
    public async Task Cancel_and_restart_are_offered_only_to_allowed_users_and_the_form_cancels_with_an_audit_entry()
    {
        var waiting = await SubmitAsync(Demo(Hello.Url));
        var other = await SubmitAsync(Demo(Hello.Url));
        await RbacKit.UserAsync(App, "olga");
        await RbacKit.RolesAsync(App, "demo", "olga", "observer");
        var observer = await PageKit.SignedInAsync(App, "olga", RbacKit.Password);
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);

        var anonymousPage = await PageKit.GetAsync(App.Client(), $"/builds/{waiting.Id}");
        var live = anonymousPage.QuerySelector("[data-testid=build-live]")!;
        live.GetAttribute("hx-trigger").Should().Be("build-changed from:body, every 30s", "an unfinished build refreshes itself on each change, slowly polling as a fallback");
        live.GetAttribute("data-events").Should().Be($"api/v1/builds/{waiting.Id}/events");
        anonymousPage.QuerySelectorAll("script[src='js/buildlive.js']").Should().ContainSingle();
        anonymousPage.QuerySelectorAll("form[data-testid=cancel-build], form[data-testid=restart-failed]").Should().BeEmpty();
        (await PageKit.GetAsync(observer, $"/builds/{waiting.Id}")).QuerySelectorAll("form[data-testid=cancel-build], form[data-testid=restart-failed]").Should().BeEmpty();
        var adminPage = await PageKit.GetAsync(admin, $"/builds/{waiting.Id}");
        adminPage.QuerySelector("form[data-testid=cancel-build]").Should().NotBeNull();
        adminPage.QuerySelector("form[data-testid=restart-failed]").Should().BeNull("nothing failed yet");

        var cancelled = await PageKit.SubmitAsync(admin, $"/builds/{waiting.Id}", "cancel-build", []);
        PageKit.Message(cancelled).Should().Be($"Build {waiting.Id} cancelled.");
        cancelled.QuerySelector("h1 [data-status]")!.TextContent.Should().Be("cancelled");
        cancelled.QuerySelector("form[data-testid=cancel-build]").Should().BeNull("an ended build cannot be cancelled");
        (await GetAsync(waiting.Id)).Status.Should().Be("cancelled");
        var audit = (await App.AdminClient().GetFromJsonAsync<AuditListResponse>("/api/v1/audit?action=build.cancel"))!;
        audit.Items.Should().ContainSingle(e => e.ObjectId == waiting.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) && e.Actor == "admin");

        // A forged post: an anonymous visitor takes a valid antiforgery token from the login form.
        var anonymous = App.Client();
        var forged = await AlbsWebApp.FormAsync(anonymous, "/account/login", "login");
        forged["_handler"] = "cancel-build";
        var response = await anonymous.PostAsync($"/builds/{other.Id}", new FormUrlEncodedContent(forged));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        PageKit.Message(await PageKit.ParseAsync(response)).Should().Be("Sign in first.");
        var observerForm = await AlbsWebApp.FormAsync(observer, "/account/tokens", "create-token");
        observerForm["_handler"] = "cancel-build";
        var refused = await PageKit.ParseAsync(await observer.PostAsync($"/builds/{other.Id}", new FormUrlEncodedContent(observerForm)));
        PageKit.Message(refused).Should().StartWith($"You may not cancel build {other.Id}");
        (await GetAsync(other.Id)).Status.Should().NotBe("cancelled");
        (await App.AdminClient().GetFromJsonAsync<AuditListResponse>("/api/v1/audit?action=build.cancel"))!.Items.Should().ContainSingle();
    }

    [Fact]
    public async Task A_failed_build_shows_its_error_and_restart_failed_through_the_page_runs_it_again()
    {
        await RegisterAgentAsync("builder1");
        var spec = Fixture("hello.spec").Replace(
            "gcc -O2 -o hello hello.c",
            "test -f \"$HOME/allow-build\" || { echo 'albs-test: not allowed yet'; exit 1; }\ngcc -O2 -o hello hello.c",
            StringComparison.Ordinal);
        await Hello.CommitAsync("guarded build", ("hello.spec", spec));
        var build = await SubmitAsync(Demo(Hello.Url));
        (await WaitForEndAsync(build.Id)).Status.Should().Be("failed");
        var admin = await PageKit.SignedInAsync(App, "admin", AlbsWebApp.AdminPassword);

        var page = await PageKit.GetAsync(admin, $"/builds/{build.Id}");
        var x86 = page.QuerySelectorAll("[data-testid=task-matrix] [data-task]").Single(c => c.QuerySelector("[data-status]")!.TextContent == "failed");
        x86.QuerySelector("[data-testid=error]")!.TextContent.Should().NotBeEmpty();
        page.QuerySelector("form[data-testid=cancel-build]").Should().BeNull("the build has ended");
        page.QuerySelector("form[data-testid=restart-failed]").Should().NotBeNull();
        (await PageKit.GetAsync(App.Client(), $"/builds/{build.Id}")).QuerySelector("form[data-testid=restart-failed]").Should().BeNull();

        await File.WriteAllTextAsync(Path.Combine(Agent.WorkDirectory, "allow-build"), "yes");
        var restarted = await PageKit.SubmitAsync(admin, $"/builds/{build.Id}", "restart-failed", []);
        PageKit.Message(restarted).Should().Be($"The failed tasks of build {build.Id} are queued again.");
        var done = await WaitForEndAsync(build.Id);
        done.Status.Should().Be("completed");
        var again = await PageKit.GetAsync(admin, $"/builds/{build.Id}");
        var task = done.Tasks.Single(t => t.Arch == "x86_64");
        again.QuerySelector($"[data-testid=task-matrix] [data-task='{task.Id}'] [data-testid=attempt]")!.TextContent.Should().Be("attempt 2");
        again.QuerySelectorAll($"section[data-task='{task.Id}'] a[data-testid=log]").Select(a => a.TextContent).Should().Equal("build.1.log", "build.2.log");
        var audit = (await App.AdminClient().GetFromJsonAsync<AuditListResponse>("/api/v1/audit?action=build.restart-failed"))!;
        audit.Items.Should().ContainSingle(e => e.Actor == "admin");
    }

    [Fact]
    public async Task An_unknown_build_is_answered_with_the_not_found_page()
    {
        var response = await App.Client().GetAsync("/builds/424242");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Not found");
    }

    [Fact]
    public async Task The_task_matrix_renders_a_cell_per_source_and_target_with_state_agent_attempt_and_error()
    {
        var at = new DateTime(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc);
        BuildTaskResponse Task(long id, string arch, string status, string? agent, int attempt, string? error) =>
            new(id, 0, "Demo-1", arch, status, "https://git.example.org/rpms/hello.git", "main", "abc123", agent, attempt, at, at, at.AddSeconds(65), error, null, null, [], []);
        var build = new BuildResponse(
            7, "failed", "admin", at, at.AddMinutes(2), false, 0, new MockOptionsRequest(), [],
            [new BuildSourceResponse(0, "git", "https://git.example.org/rpms/hello.git", "main", "branch", "abc123")],
            [Task(1, "src", "completed", "builder1", 1, null), Task(2, "x86_64", "failed", "builder2", 3, "rpmbuild failed")],
            "demo");

        var services = new ServiceCollection().BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, NullLoggerFactory.Instance);
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<BuildTaskMatrix>(ParameterView.FromDictionary(new Dictionary<string, object?> { ["Build"] = build, ["Now"] = at }));
            return output.ToHtmlString();
        });

        var table = new HtmlParser().ParseDocument(html).QuerySelector("table[data-testid=task-matrix]")!;
        table.QuerySelectorAll("thead th").Select(h => h.TextContent.Trim()).Should().Equal("Source", "Demo-1 src", "Demo-1 x86_64");
        var failed = table.QuerySelector("[data-task='2']")!;
        failed.QuerySelector("[data-status]")!.TextContent.Should().Be("failed");
        failed.QuerySelector("[data-status]")!.ClassList.Should().Contain("text-bg-danger");
        failed.QuerySelector("[data-testid=attempt]")!.TextContent.Should().Be("attempt 3");
        failed.QuerySelector("[data-testid=agent]")!.TextContent.Should().Be("builder2");
        failed.QuerySelector("[data-testid=error]")!.TextContent.Should().Be("rpmbuild failed");
        failed.QuerySelector("[data-testid=duration]")!.TextContent.Should().Be("1m 05s");
        failed.QuerySelector("a")!.GetAttribute("href").Should().Be("builds/7#task-2");
        BuildFormat.CommitUrl("https://git.example.org/rpms/hello.git", "abc123").Should().Be("https://git.example.org/rpms/hello/commit/abc123");
        BuildFormat.CommitUrl("file:///srv/git/hello", "abc123").Should().BeNull();
    }

    private static List<long> Rows(AngleSharp.Html.Dom.IHtmlDocument page) =>
        [.. page.QuerySelectorAll("[data-testid=builds] tbody tr").Select(r => long.Parse(r.GetAttribute("data-build")!, System.Globalization.CultureInfo.InvariantCulture))];
}
