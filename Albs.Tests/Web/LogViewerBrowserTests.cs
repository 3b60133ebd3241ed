using System.Net;
using System.Text.RegularExpressions;
using Albs.Tests.Support;
using AngleSharp.Html.Parser;
using Microsoft.Playwright;

namespace Albs.Tests.Web;

/// <summary>
/// The log viewer in a real browser (Debian's Chromium through Playwright) against the host run as a
/// process on a loopback port, with a real sshd agent building a real git repository (the <see cref="BrowserHost"/> shared by the browser tests).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class LogViewerBrowserTests(BrowserHost fixture)
{
    private const int Ticks = 10;

    [Fact]
    public async Task Lines_of_a_running_task_appear_without_a_reload_then_the_final_status()
    {
        var repository = await fixture.HelloRepositoryAsync(
            $"for i in {string.Join(' ', Enumerable.Range(1, Ticks))}; do echo \"tick $i\"; sleep 1; done; printf '\\033[1;31mcoloured\\033[0m <b>not bold</b>\\n'; gcc -O2 -o hello hello.c");
        var host = fixture.Host;
        using var admin = host.AdminClient();
        var build = await fixture.SubmitAsync(repository);
        var task = build.Tasks.Single(t => t.Arch == "x86_64");
        var pagePath = $"builds/{build.Id}/tasks/{task.Id}/logs/build.1.log";
        var browser = fixture.Browser;
        browser.TakeErrors();
        var page = await browser.NewPageAsync(host.Address);
        await Eventually.TrueAsync(
            async () => await admin.GetAsync($"/api/v1/builds/{build.Id}/tasks/{task.Id}/logs/build.1.log") is { IsSuccessStatusCode: true } log
                && (await log.Content.ReadAsStringAsync()).Contains("tick 1", StringComparison.Ordinal),
            "the x86_64 task prints its first tick",
            TimeSpan.FromMinutes(3));

        var response = await page.GotoAsync(pagePath);
        response!.Status.Should().Be(200);
        await page.EvaluateAsync("() => { window.albsLoadedOnce = true; }");
        var rendered = await page.Locator("#log").InnerTextAsync();
        var lastRendered = TickNumbers(rendered).DefaultIfEmpty(0).Max();
        lastRendered.Should().BeLessThan(Ticks, "the page was opened while the task was still printing");
        (await page.Locator("#log-status").InnerTextAsync()).Should().Be("started");

        // A line printed after the page loaded shows up in the page, which was not reloaded.
        await page.Locator("#log .log-text", new PageLocatorOptions { HasTextRegex = new Regex($"^tick {lastRendered + 1}$") })
            .WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        (await page.EvaluateAsync<bool>("() => window.albsLoadedOnce === true")).Should().BeTrue("the lines came without a reload");
        await Browser.ScreenshotAsync(page, "log-viewer-live");

        // Then the end of the attempt: the final status replaces "started".
        await Assertions.Expect(page.Locator("#log-status")).ToHaveTextAsync(new Regex("^(completed|failed)$"), new() { Timeout = 180_000 });
        (await page.Locator("#log-status").InnerTextAsync()).Should().Be("completed", await page.Locator("#log").InnerTextAsync());
        (await page.EvaluateAsync<bool>("() => window.albsLoadedOnce === true")).Should().BeTrue();
        var text = await page.Locator("#log").InnerTextAsync();
        TickNumbers(text).Should().Equal(Enumerable.Range(1, Ticks), "every line once, none repeated or lost");
        text.Should().Contain("task completed");

        // ANSI colours became classes; the log's markup stayed text.
        var coloured = page.Locator("#log .ansi-bold.ansi-fg-1");
        (await coloured.InnerTextAsync()).Should().Be("coloured");
        (await page.Locator("#log b").CountAsync()).Should().Be(0);
        (await page.Locator("#log .log-text", new() { HasTextRegex = new Regex("^coloured <b>not bold</b>$") }).CountAsync()).Should().Be(1);

        // Anonymous visitors get no actions: no posting forms, and only the viewer's own buttons.
        (await page.Locator("form[method=post]").CountAsync()).Should().Be(0);
        (await page.Locator("main button, main input[type=submit]").AllInnerTextsAsync()).Should().OnlyContain(t => t == "Filter" || t == "Pause" || t == "Follow");
        browser.TakeErrors().Should().BeEmpty("no script was refused by the CSP and none failed");
        await Browser.ScreenshotAsync(page, "log-viewer-ended");

        // Without JavaScript: the server-rendered log, numbered lines, the raw download, no stream to follow.
        using var anonymous = host.Client();
        var html = await anonymous.GetStringAsync(pagePath);
        var document = new HtmlParser().ParseDocument(html);
        document.QuerySelector("#log")!.HasAttribute("data-stream").Should().BeFalse("the attempt has ended");
        document.QuerySelector("#L1 .log-ln")!.TextContent.Should().Be("1");
        TickNumbers(string.Join('\n', document.QuerySelectorAll("#log .log-text").Select(l => l.TextContent))).Should().Equal(Enumerable.Range(1, Ticks));
        document.QuerySelector("[data-testid=log-raw]")!.GetAttribute("href").Should().Be($"api/v1/builds/{build.Id}/tasks/{task.Id}/logs/build.1.log");
        document.QuerySelector("a[href='builds/" + build.Id + "']").Should().NotBeNull("the page links back to its build");
        var filtered = new HtmlParser().ParseDocument(await anonymous.GetStringAsync(pagePath + "?q=TICK%203"));
        filtered.QuerySelectorAll("#log .log-line").Select(l => l.QuerySelector(".log-text")!.TextContent)
            .Should().Contain("tick 3").And.OnlyContain(t => t.Contains("tick 3", StringComparison.Ordinal), "the filter ignores case and keeps only matching lines");
        (await anonymous.GetAsync($"builds/{build.Id}/tasks/{task.Id}/logs/build.7.log")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await page.Context.CloseAsync();
    }

    private static IEnumerable<int> TickNumbers(string text) =>
        TickLine().Matches(text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^\s*\d*\s*tick (\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex TickLine();
}
