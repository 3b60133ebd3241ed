using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Queries;
using Albs.Web.Components.Shared;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Albs.Tests.Web;

/// <summary>The dashboard's component rendered alone, and the wait figures' arithmetic.</summary>
public sealed class DashboardViewTests
{
    private static readonly DateTime At = new(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task The_dashboard_view_renders_running_and_queued_builds_agents_failures_and_waits()
    {
        var dashboard = new BuildDashboard(
            At,
            3,
            [new DashboardBuild(7, "running", ["hello", "bash"], "demo", "alice", At.AddMinutes(-10), At.AddSeconds(-65), 2, 1)],
            1,
            [new DashboardBuild(8, "idle", ["zsh"], "demo", "bob", At.AddHours(-2).AddMinutes(-3), null, 0, 4)],
            [new DashboardAgent("builder1", "online", ["x86_64", "noarch"], 2, 4, 0.5, At), new DashboardAgent("builder2", "maintenance", ["aarch64"], 0, 1, null, null)],
            [new DashboardFailure(5, 51, "glibc", "AlmaLinux-9", "aarch64", At.AddMinutes(-1), "rpmbuild failed")],
            new DashboardQueueWait(24, 12, 30, 65, 3725, 4, At.AddHours(-2).AddMinutes(-3)));

        var page = new HtmlParser().ParseDocument(await RenderAsync(dashboard));

        page.QuerySelectorAll("h2").Select(h => h.Id).Should().Equal("dash-running", "dash-queued", "dash-agents", "dash-failures", "dash-wait");
        page.QuerySelectorAll("table").Should().OnlyContain(t => t.QuerySelector("caption") != null, "every table says what it holds");
        page.QuerySelectorAll("thead th").Should().OnlyContain(h => h.GetAttribute("scope") == "col");
        page.QuerySelectorAll("tbody th").Should().OnlyContain(h => h.GetAttribute("scope") == "row");

        var running = page.QuerySelector("[data-testid=running]")!;
        running.QuerySelector("caption")!.TextContent.Should().Be("1 of 3 running builds, oldest first");
        var build = running.QuerySelector("tr[data-build='7']")!;
        build.QuerySelector("a")!.GetAttribute("href").Should().Be("builds/7");
        build.QuerySelector("[data-testid=packages]")!.TextContent.Should().Be("hello bash");
        build.QuerySelector("[data-testid=age]")!.TextContent.Should().Be("1m 05s", "a running build's age counts from its first task's start");
        page.QuerySelector("[data-testid=running-total]")!.TextContent.Should().Be("3");
        page.QuerySelector("[data-testid=queued] tr[data-build='8'] [data-testid=age]")!.TextContent.Should().Be("2h 03m", "a queued build waits since submission");

        var agent = page.QuerySelector("[data-testid=dashboard-agents] tr[data-agent=builder1]")!;
        agent.QuerySelector("[data-testid=slots]")!.TextContent.Should().Be("2 / 4");
        agent.QuerySelector("[data-testid=agent-state]")!.ClassList.Should().Contain("text-bg-success");
        agent.TextContent.Should().Contain("x86_64 noarch").And.Contain("0.50");
        page.QuerySelector("[data-testid=dashboard-agents] tr[data-agent=builder2] [data-testid=agent-state]")!.TextContent.Should().Be("maintenance");
        page.QuerySelector("[data-testid=dashboard-agents] caption")!.TextContent.Should().StartWith("2 agent(s), 2 of 5 slots in use");

        var failure = page.QuerySelector("[data-testid=failures] tr[data-task='51']")!;
        failure.QuerySelector("a")!.GetAttribute("href").Should().Be("builds/5#task-51");
        failure.TextContent.Should().Contain("glibc").And.Contain("AlmaLinux-9").And.Contain("aarch64").And.Contain("2026-11-22 09:59:00");
        failure.QuerySelector("[data-testid=error]")!.TextContent.Should().Be("rpmbuild failed");

        page.QuerySelector("[data-testid=wait-started]")!.TextContent.Should().Be("12");
        page.QuerySelector("[data-testid=wait-figures]")!.TextContent.Should().Be("30s / 1m 05s / 1h 02m");
        page.QuerySelector("[data-testid=waiting-now]")!.TextContent.Should().Be("4");
        page.QuerySelector("[data-testid=oldest-waiting]")!.TextContent.Should().Be("2026-11-22 07:57:00 (2h 03m)");
        page.QuerySelectorAll("form").Should().BeEmpty();
    }

    [Fact]
    public async Task An_idle_farm_says_so_instead_of_showing_empty_tables()
    {
        var page = new HtmlParser().ParseDocument(await RenderAsync(new BuildDashboard(At, 0, [], 0, [], [], [], new DashboardQueueWait(24, 0, null, null, null, 0, null))));

        page.QuerySelectorAll("table").Should().BeEmpty();
        page.QuerySelector("[data-testid=no-running]")!.TextContent.Should().Be("Nothing is running.");
        page.QuerySelector("[data-testid=no-queued]").Should().NotBeNull();
        page.QuerySelector("[data-testid=no-agents]").Should().NotBeNull();
        page.QuerySelector("[data-testid=no-failures]").Should().NotBeNull();
        page.QuerySelector("[data-testid=wait-figures]")!.TextContent.Should().Be("– / – / –");
        page.QuerySelector("[data-testid=oldest-waiting]")!.TextContent.Should().Be("–");
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        double[] waits = [40, 10, 30, 20, 50, 60, 70, 80, 90, 100];

        QueueWaitStatistics.Percentile(waits, 50).Should().Be(50);
        QueueWaitStatistics.Percentile(waits, 90).Should().Be(90);
        QueueWaitStatistics.Percentile(waits, 91).Should().Be(100);
        QueueWaitStatistics.Percentile(waits, 100).Should().Be(100);
        QueueWaitStatistics.Percentile(waits, 0).Should().Be(10);
        QueueWaitStatistics.Percentile([7], 90).Should().Be(7);
        QueueWaitStatistics.Percentile([], 50).Should().BeNull();
        FluentActions.Invoking(() => QueueWaitStatistics.Percentile(waits, 101)).Should().Throw<ArgumentOutOfRangeException>();

        QueueWaitStatistics.Summarize(24, waits, 3, At).Should().Be(new DashboardQueueWait(24, 10, 50, 90, 100, 3, At));
        QueueWaitStatistics.Summarize(24, [], 0, null).Should().Be(new DashboardQueueWait(24, 0, null, null, null, 0, null));
    }

    [Fact]
    public void A_task_waits_from_when_it_became_ready_to_its_start()
    {
        QueueWaitStatistics.Wait(At, null, null, At.AddSeconds(30)).Should().Be(30, "a task that needs nothing is ready when created");
        QueueWaitStatistics.Wait(At, At.AddMinutes(5), null, At.AddMinutes(5).AddSeconds(12)).Should().Be(12, "a rebuild is ready when its SRPM is built");
        QueueWaitStatistics.Wait(At, At.AddMinutes(1), At.AddMinutes(9), At.AddMinutes(10)).Should().Be(60, "a chained task is ready when the previous source's task finished");
        QueueWaitStatistics.Wait(At, At.AddMinutes(2), null, At.AddMinutes(1)).Should().Be(0, "never negative");
    }

    private static async Task<string> RenderAsync(BuildDashboard dashboard)
    {
        var services = new ServiceCollection().BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, NullLoggerFactory.Instance);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<DashboardView>(ParameterView.FromDictionary(new Dictionary<string, object?> { ["Dashboard"] = dashboard }));
            return output.ToHtmlString();
        });
    }
}
