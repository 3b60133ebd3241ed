using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Contracts;
using Albs.Tests.Builds;
using Albs.Tests.Support;
using AngleSharp.Html.Dom;

namespace Albs.Tests.Web;

/// <summary>The dashboard (<c>/</c>, <c>GET /api/v1/dashboard</c>) and the agents' current tasks on the real host with a real sshd agent.</summary>
public sealed class DashboardPageTests : BuildAgentTest
{
    private const string Marker = "sleep 3023";

    [Fact]
    public async Task A_running_build_shows_on_the_dashboard_and_its_task_under_its_agent_on_the_page_and_in_the_api()
    {
        await RegisterAgentAsync("builder1");
        var spec = Fixture("hello.spec").Replace("gcc -O2 -o hello hello.c", $"echo albs-build-started; {Marker}", StringComparison.Ordinal);
        await Hello.CommitAsync("slow build", ("hello.spec", spec));
        var build = await SubmitAsync(Demo(Hello.Url));
        BuildTaskResponse? x86 = null;
        await Eventually.TrueAsync(async () =>
        {
            x86 = (await GetAsync(build.Id)).Tasks.Single(t => t.Arch == "x86_64");
            return x86.Status == "started";
        }, "the rebuild runs on the agent");
        var anonymous = App.Client();

        var home = await PageKit.GetAsync(anonymous, "/");
        var row = home.QuerySelector($"[data-testid=running] tr[data-build='{build.Id}']")!;
        row.Should().NotBeNull("the build runs");
        row.QuerySelector($"a[href='builds/{build.Id}']").Should().NotBeNull();
        row.QuerySelector("[data-testid=packages]")!.TextContent.Should().Be("hello");
        row.TextContent.Should().Contain("demo").And.Contain("admin").And.Contain("1 running");
        home.QuerySelector("[data-testid=running-total]")!.TextContent.Should().Be("1");
        home.QuerySelector("[data-testid=no-queued]").Should().NotBeNull();
        home.QuerySelector("[data-testid=dashboard-agents] tr[data-agent=builder1] [data-testid=slots]")!.TextContent.Should().Be("1 / 2");
        home.QuerySelector("[data-testid=wait-started]")!.TextContent.Should().Be("2", "the SRPM task and the rebuild started");
        home.QuerySelector("[data-testid=wait-figures]")!.TextContent.Should().NotContain("–");
        var live = home.QuerySelector("#dashboard-live")!;
        live.GetAttribute("hx-trigger").Should().Be("every 5s");
        live.GetAttribute("hx-select").Should().Be("#dashboard-live");
        home.QuerySelectorAll("form[method=post]").Should().BeEmpty("the dashboard changes nothing");
        Headings(home).Should().Equal("h1", "h2", "h2", "h2", "h2", "h2");
        home.QuerySelectorAll("table").Should().OnlyContain(t => t.QuerySelector("caption") != null && t.ParentElement!.ClassList.Contains("table-responsive"));
        home.QuerySelector("[data-testid=intro] a[href='openapi/v1.json']").Should().NotBeNull();

        var agents = await PageKit.GetAsync(anonymous, "/agents");
        var current = agents.QuerySelector($"tr[data-agent=builder1] [data-testid=current-tasks] [data-task='{x86!.Id}']")!;
        current.Should().NotBeNull("the rebuild runs on builder1");
        current.QuerySelector("a")!.GetAttribute("href").Should().Be($"builds/{build.Id}#task-{x86.Id}");
        current.TextContent.Should().Contain("hello").And.Contain("Demo-1/x86_64");
        agents.QuerySelector("tr[data-agent=builder1] [data-testid=slots]")!.TextContent.Should().Be("1 / 2");

        var api = (await anonymous.GetFromJsonAsync<List<AgentResponse>>("/api/v1/agents"))!;
        api.Single(a => a.Name == "builder1").CurrentTasks.Should().ContainSingle()
            .Which.Should().Be(new AgentTaskResponse(build.Id, x86.Id, "hello", "Demo-1", "x86_64", x86.StartedAt));
        (await anonymous.GetFromJsonAsync<AgentResponse>("/api/v1/agents/builder1"))!.CurrentTasks.Should().ContainSingle(t => t.TaskId == x86.Id);
        var dashboard = (await anonymous.GetFromJsonAsync<BuildDashboard>("/api/v1/dashboard"))!;
        dashboard.Running.Should().ContainSingle(b => b.Id == build.Id && b.RunningTasks == 1 && b.StartedAt != null);
        dashboard.Agents.Single(a => a.Name == "builder1").SlotsInUse.Should().Be(1);

        (await App.AdminClient().PostAsync($"/api/v1/builds/{build.Id}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await WaitForEndAsync(build.Id)).Status.Should().Be("cancelled");
        var after = await PageKit.GetAsync(anonymous, "/");
        after.QuerySelector("[data-testid=no-running]").Should().NotBeNull("the cancelled build no longer runs");
        (await anonymous.GetFromJsonAsync<List<AgentResponse>>("/api/v1/agents"))!.Single().CurrentTasks.Should().BeEmpty();
    }

    [Fact]
    public async Task A_failed_build_shows_among_the_recent_failures_with_its_failed_task()
    {
        await RegisterAgentAsync("builder1");
        var spec = Fixture("hello.spec").Replace("gcc -O2 -o hello hello.c", "echo compiler exploded; exit 3", StringComparison.Ordinal);
        await Hello.CommitAsync("broken build", ("hello.spec", spec));
        var build = await WaitForEndAsync((await SubmitAsync(Demo(Hello.Url))).Id);
        build.Status.Should().Be("failed");
        var task = build.Tasks.Single(t => t.Arch == "x86_64");

        var home = await PageKit.GetAsync(App.Client(), "/");
        var row = home.QuerySelector($"[data-testid=failures] tr[data-task='{task.Id}']")!;
        row.Should().NotBeNull("the rebuild failed");
        row.QuerySelector("a")!.GetAttribute("href").Should().Be($"builds/{build.Id}#task-{task.Id}");
        row.TextContent.Should().Contain("hello").And.Contain("Demo-1").And.Contain("x86_64");
        row.QuerySelector("[data-testid=error]")!.TextContent.Should().Be(task.Error);
        home.QuerySelectorAll("[data-testid=failures] tbody tr").Should().HaveCount(1, "the SRPM task did not fail");

        var dashboard = (await App.Client().GetFromJsonAsync<BuildDashboard>("/api/v1/dashboard"))!;
        dashboard.RecentFailures.Should().ContainSingle().Which.Should().Be(
            new DashboardFailure(build.Id, task.Id, "hello", "Demo-1", "x86_64", task.FinishedAt, task.Error));
    }

    [Fact]
    public async Task Work_for_an_arch_no_agent_builds_shows_as_queued_with_its_wait()
    {
        var build = await SubmitAsync(Demo(Hello.Url) with { Platforms = [new BuildPlatformRequest("AlmaLinux-9", ["aarch64"])] });
        var anonymous = App.Client();

        var home = await PageKit.GetAsync(anonymous, "/");
        var row = home.QuerySelector($"[data-testid=queued] tr[data-build='{build.Id}']")!;
        row.Should().NotBeNull("no agent builds it");
        row.TextContent.Should().Contain("0 running, 2 waiting");
        home.QuerySelector("[data-testid=no-running]").Should().NotBeNull();
        home.QuerySelector("[data-testid=no-agents]").Should().NotBeNull();
        home.QuerySelector("[data-testid=queued-total]")!.TextContent.Should().Be("1");
        home.QuerySelector("[data-testid=waiting-now]")!.TextContent.Should().Be("2");
        home.QuerySelector("[data-testid=oldest-waiting]")!.TextContent.Should().StartWith(build.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        home.QuerySelector("[data-testid=wait-started]")!.TextContent.Should().Be("0");

        var response = await anonymous.GetAsync("/api/v1/dashboard");
        response.StatusCode.Should().Be(HttpStatusCode.OK, "anyone reads the dashboard");
        var dashboard = (await response.Content.ReadFromJsonAsync<BuildDashboard>())!;
        dashboard.QueuedTotal.Should().Be(1);
        dashboard.Queued.Should().ContainSingle().Which.Should().Match<DashboardBuild>(b =>
            b.Id == build.Id && b.Status == "idle" && b.StartedAt == null && b.Packages.SequenceEqual(new[] { "hello" }) && b.Product == "demo" && b.Submitter == "admin");
        dashboard.QueueWait.Should().Be(new DashboardQueueWait(24, 0, null, null, null, 2, dashboard.QueueWait.OldestWaitingSince));
        dashboard.QueueWait.OldestWaitingSince.Should().BeCloseTo(build.CreatedAt, TimeSpan.FromSeconds(5));
    }

    private static List<string> Headings(IHtmlDocument page) =>
        [.. page.QuerySelectorAll("main h1, main h2, main h3, main h4").Select(h => h.LocalName)];
}
