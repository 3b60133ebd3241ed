using System.Text.Json;
using System.Text.RegularExpressions;
using Albs.Tests.Support;
using Microsoft.Playwright;

namespace Albs.Tests.Web;

/// <summary>
/// The pages in Debian's Chromium against the real host with a real sshd agent (<see cref="BrowserHost"/>):
/// a contributor submits through the form and watches the build complete, anonymous visitors get no
/// actions, and every public page is checked for the basics of accessible markup, a phone layout and
/// both colour modes. Screenshots of each page are saved (see docs/operations.md#tests).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BuildFlowBrowserTests(BrowserHost fixture)
{
    /// <summary>
    /// Headings, labels and images of the page: problems as sentences (empty when none).
    /// </summary>
    private const string MarkupProblems = """
        () => {
          const problems = [];
          const h1 = document.querySelectorAll('h1').length;
          if (h1 !== 1) problems.push(`${h1} h1 elements`);
          let previous = 0;
          for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
            const level = Number(h.tagName[1]);
            if (level > previous + 1) problems.push(`heading skips from h${previous} to h${level}: ${h.textContent.trim()}`);
            previous = level;
          }
          for (const field of document.querySelectorAll('input, select, textarea')) {
            if (field.type === 'hidden' || field.type === 'submit' || field.type === 'button') continue;
            const labelled = (field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`))
              || field.closest('label') || field.getAttribute('aria-label') || field.getAttribute('aria-labelledby');
            if (!labelled) problems.push(`unlabelled ${field.tagName.toLowerCase()} ${field.name || field.id}`);
          }
          for (const img of document.querySelectorAll('img:not([alt])')) problems.push(`image without alt: ${img.src}`);
          if (!document.documentElement.lang) problems.push('no lang on html');
          if (!document.title) problems.push('no title');
          return problems;
        }
        """;

    /// <summary>
    /// WCAG contrast of the visible text of body, links, badges, table cells and the log against the
    /// background it is drawn on (backgrounds of the ancestors composited): those under 4.5:1.
    /// </summary>
    private const string ContrastProblems = """
        () => {
          const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0];
            const p = m[1].split(/[ ,/]+/).filter(x => x).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
          const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat(1); };
          const background = el => {
            const layers = [];
            for (let e = el; e; e = e.parentElement) layers.push(parse(getComputedStyle(e).backgroundColor));
            const canvas = document.documentElement.getAttribute('data-bs-theme') === 'dark' ? [0, 0, 0, 1] : [255, 255, 255, 1];
            return layers.reverse().reduce((acc, layer) => over(layer, acc), canvas);
          };
          const luminance = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
          const ratio = (a, b) => { const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x); return (l1 + 0.05) / (l2 + 0.05); };
          const problems = [];
          let checked = 0;
          const selector = 'body, main p, main a, nav a, nav .navbar-text, .nav-link, .btn, footer, .badge, main td, main th, main dt, main dd, main code, main small, label, .form-text, h1, h2, h3, .log-text, .log-ln, .log-text span, caption, option';
          for (const el of document.querySelectorAll(selector)) {
            const style = getComputedStyle(el);
            const hasText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
            if (!hasText || style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
            const bg = background(el);
            const fg = over(parse(style.color), bg);
            const r = ratio(fg, bg);
            checked++;
            if (r < 4.5) problems.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${el.textContent.trim().slice(0, 30)}": ${r.toFixed(2)}:1 (${style.color} on rgb(${bg.slice(0, 3).map(Math.round)}))`);
          }
          return { checked, problems };
        }
        """;

    [Fact]
    public async Task A_contributor_signs_in_submits_through_the_form_and_watches_the_build_complete_while_visitors_get_no_actions()
    {
        fixture.Browser.TakeErrors();
        await fixture.UserAsync("carol", "contributor");
        // A build that runs long enough to be seen running, by carol and by a visitor.
        var repository = await fixture.HelloRepositoryAsync("sleep 8; gcc -O2 -o hello hello.c");
        var page = await fixture.Browser.NewPageAsync(fixture.Address);
        var requests = new List<(string Url, string Type, bool Htmx)>();
        page.Request += (_, request) =>
        {
            lock (requests)
            {
                requests.Add((request.Url, request.ResourceType, request.Headers.ContainsKey("hx-request")));
            }
        };
        await BrowserHost.SignInAsync(page, "carol");

        await page.GotoAsync("builds");
        await page.Locator("[data-testid=submit-link]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/builds/new$"));
        await page.Locator("#b-product").SelectOptionAsync("demo");
        await page.GetByLabel("Platforms and architectures").FillAsync("Demo-1: x86_64");
        await page.GetByLabel("Sources", new() { Exact = true }).FillAsync($"{repository.Url} main");
        await Browser.ScreenshotAsync(page, "contributor-builds-new-filled");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit build" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/builds/[0-9]+$"));
        var id = long.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        await page.EvaluateAsync("() => { window.albsLoadedOnce = true; }");

        // While it runs, carol may cancel it; an anonymous visitor of the same page may not.
        var status = page.Locator("#build-live h1 .badge");
        (await status.GetAttributeAsync("data-status")).Should().BeOneOf("idle", "started", "running");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel build" })).ToBeVisibleAsync();
        var visitor = await fixture.Browser.NewPageAsync(fixture.Address);
        await visitor.GotoAsync($"builds/{id}");
        (await visitor.Locator("#build-live h1 .badge").GetAttributeAsync("data-status")).Should().BeOneOf(["idle", "started", "running"], "the visitor sees the build running");
        await NoActionsAsync(visitor);
        await Browser.ScreenshotAsync(visitor, "anonymous-build-running");
        await Browser.ScreenshotAsync(page, "contributor-build-running");
        await visitor.Context.CloseAsync();

        // The page follows the build's events; htmx refreshes the block at each change until the build ends; it is never reloaded.
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", new Regex("^(completed|failed|cancelled)$"), new() { Timeout = 180_000 });
        (await status.InnerTextAsync()).Should().Be("completed", fixture.Host.Output);
        (await page.EvaluateAsync<bool>("() => window.albsLoadedOnce === true")).Should().BeTrue("the status came through htmx, without a reload");
        List<(string Url, string Type, bool Htmx)> seen;
        lock (requests)
        {
            seen = [.. requests];
        }

        var events = seen.FindIndex(r => r.Url.EndsWith($"/api/v1/builds/{id}/events", StringComparison.Ordinal) && r.Type == "eventsource");
        events.Should().BeGreaterThanOrEqualTo(0, "the page follows the build over Server-Sent Events");
        seen.Skip(events).Should().Contain(r => r.Htmx && r.Url.EndsWith($"/builds/{id}", StringComparison.Ordinal), "htmx refetched the block after the events began");
        (await page.Locator("[data-testid=created-by]").InnerTextAsync()).Should().Be("carol");
        (await page.Locator("[data-testid=cancel-build]").CountAsync()).Should().Be(0, "a finished build cannot be cancelled");
        await Assertions.Expect(page.Locator("[data-testid=log]").First).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "contributor-build-completed");
        fixture.Browser.TakeErrors().Should().BeEmpty();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_anonymous_visitor_reads_the_build_list_a_build_and_its_log_without_any_action()
    {
        var build = await fixture.FinishedBuildAsync();
        fixture.Browser.TakeErrors();
        var page = await fixture.Browser.NewPageAsync(fixture.Address);

        await page.GotoAsync("builds");
        await Assertions.Expect(page.Locator($"main a[href='builds/{build.Id}']").First).ToBeVisibleAsync();
        (await page.Locator("[data-testid=submit-link]").CountAsync()).Should().Be(0);
        await NoActionsAsync(page);
        await Browser.ScreenshotAsync(page, "anonymous-builds");

        await Browser.FollowAsync(page, page.Locator($"main a[href='builds/{build.Id}']").First, new Regex($"/builds/{build.Id}$"));
        (await page.Locator("#build-live h1 .badge").InnerTextAsync()).Should().Be("completed");
        await NoActionsAsync(page);
        await Browser.ScreenshotAsync(page, "anonymous-build");

        await Browser.FollowAsync(page, page.Locator("[data-testid=log]", new() { HasText = "build.1.log" }).First, new Regex("/logs/build\\.1\\.log$"));
        await Assertions.Expect(page.Locator("#log-status")).ToHaveTextAsync("completed");
        await NoActionsAsync(page);
        await Browser.ScreenshotAsync(page, "anonymous-log");
        fixture.Browser.TakeErrors().Should().BeEmpty();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Every_page_has_one_h1_ordered_headings_labelled_fields_and_no_errors()
    {
        var pages = await PagesAsync();
        fixture.Browser.TakeErrors();
        var page = await fixture.Browser.NewPageAsync(fixture.Address);

        // The check itself finds what it looks for.
        await page.SetContentAsync("<html><body><h1>a</h1><h3>b</h3><h1>c</h1><input id=x><select></select><img src=data:,></body></html>");
        (await page.EvaluateAsync<string[]>(MarkupProblems)).Should().BeEquivalentTo(
            "2 h1 elements", "heading skips from h1 to h3: b", "unlabelled input x", "unlabelled select ", "image without alt: data:,", "no lang on html", "no title");

        var problems = new List<string>();
        foreach (var (name, path) in pages)
        {
            await OpenAsync(page, path);
            problems.AddRange((await page.EvaluateAsync<string[]>(MarkupProblems)).Select(p => $"{path}: {p}"));
            await Browser.ScreenshotAsync(page, $"anonymous-{name}");
        }

        await fixture.UserAsync("dora", "contributor");
        var signedIn = await fixture.Browser.NewPageAsync(fixture.Address);
        await BrowserHost.SignInAsync(signedIn, "dora");
        foreach (var (name, path) in new[] { ("builds-new", "builds/new"), ("teams", "teams"), ("account-tokens", "account/tokens") })
        {
            await OpenAsync(signedIn, path);
            problems.AddRange((await signedIn.EvaluateAsync<string[]>(MarkupProblems)).Select(p => $"{path} (signed in): {p}"));
            await Browser.ScreenshotAsync(signedIn, $"signed-in-{name}");
        }

        await OpenAsync(page, "account/login");
        problems.AddRange((await page.EvaluateAsync<string[]>(MarkupProblems)).Select(p => $"account/login: {p}"));
        problems.Should().BeEmpty();
        fixture.Browser.TakeErrors().Should().BeEmpty("no console errors, CSP refusals or failed requests");
        await page.Context.CloseAsync();
        await signedIn.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_no_page_is_wider_than_the_screen_and_the_menu_opens()
    {
        var pages = await PagesAsync();
        fixture.Browser.TakeErrors();
        var page = await fixture.Browser.NewPageAsync(fixture.Address, phone: true);
        var problems = new List<string>();
        foreach (var (name, path) in pages)
        {
            await OpenAsync(page, path);
            var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
            if (widths[0] > 390 || widths[0] > widths[1])
            {
                var wide = await page.EvaluateAsync<string[]>("""
                    () => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
                      .filter(e => !e.closest('.table-responsive, .log-view')).slice(0, 5)
                      .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)}px)`)
                    """);
                problems.Add($"{path}: the document is {widths[0]}px wide on a {widths[1]}px screen; wide: {string.Join(", ", wide)}");
            }

            await Browser.ScreenshotAsync(page, $"phone-{name}");
        }

        // The menu is collapsed behind the toggler, which opens it.
        await OpenAsync(page, "builds");
        var menu = page.Locator("#main-nav");
        await Assertions.Expect(menu.GetByRole(AriaRole.Link, new() { Name = "Builds" })).ToBeHiddenAsync();
        await page.Locator(".navbar-toggler").TapAsync();
        await Assertions.Expect(menu.GetByRole(AriaRole.Link, new() { Name = "Builds" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".navbar-toggler")).ToHaveAttributeAsync("aria-expanded", "true");
        await Browser.ScreenshotAsync(page, "phone-menu-open");
        await menu.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).TapAsync();
        await page.WaitForURLAsync(new Regex("/account/login"));
        problems.Should().BeEmpty();
        fixture.Browser.TakeErrors().Should().BeEmpty();
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_theme_follows_the_system_and_text_keeps_AA_contrast(bool dark)
    {
        var pages = await PagesAsync();
        fixture.Browser.TakeErrors();
        var page = await fixture.Browser.NewPageAsync(fixture.Address, darkScheme: dark);
        var problems = new List<string>();
        var theme = dark ? "dark" : "light";
        foreach (var (name, path) in pages)
        {
            await OpenAsync(page, path);
            (await page.Locator("html").GetAttributeAsync("data-bs-theme")).Should().Be(theme, path);
            var body = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
            body.Should().Be(dark ? "rgb(33, 37, 41)" : "rgb(255, 255, 255)", $"{path} is drawn in the {theme} theme");
            var result = await page.EvaluateAsync<JsonElement>(ContrastProblems);
            result.GetProperty("checked").GetInt32().Should().BeGreaterThan(5, path);
            problems.AddRange(result.GetProperty("problems").EnumerateArray().Select(p => $"{path}: {p.GetString()}"));
            if (dark)
            {
                await Browser.ScreenshotAsync(page, $"dark-{name}");
            }
        }

        // Signed in: the forms and buttons of the submit page and the teams page.
        await fixture.UserAsync($"erin{theme}", "contributor");
        await BrowserHost.SignInAsync(page, $"erin{theme}");
        foreach (var path in new[] { "builds/new", "teams" })
        {
            await OpenAsync(page, path);
            var result = await page.EvaluateAsync<JsonElement>(ContrastProblems);
            problems.AddRange(result.GetProperty("problems").EnumerateArray().Select(p => $"{path} (signed in): {p.GetString()}"));
        }

        if (dark)
        {
            await Browser.ScreenshotAsync(page, "dark-signed-in-builds-new");
        }

        // The check itself finds grey on grey.
        await page.SetContentAsync("<html data-bs-theme=light><body style='background:#fff;color:#000'><main><p style='color:#aaa'>faint</p><p>x</p></main></body></html>");
        (await page.EvaluateAsync<JsonElement>(ContrastProblems)).GetProperty("problems").EnumerateArray().Should().ContainSingle().Which.GetString().Should().Contain("faint");

        problems.Should().BeEmpty();
        fixture.Browser.TakeErrors().Should().BeEmpty();
        await page.Context.CloseAsync();
    }

    /// <summary>No form that posts and no button but the log viewer's own in the page's main content.</summary>
    private static async Task NoActionsAsync(IPage page)
    {
        (await page.Locator("main form[method=post], main form[method=POST]").CountAsync()).Should().Be(0, page.Url);
        (await page.Locator("main button, main input[type=submit]").AllInnerTextsAsync())
            .Where(t => t is not ("Filter" or "Pause" or "Follow")).Should().BeEmpty(page.Url);
        (await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("cancel|restart", RegexOptions.IgnoreCase) }).CountAsync()).Should().Be(0, page.Url);
    }

    private static async Task OpenAsync(IPage page, string path)
    {
        var response = await page.GotoAsync(path);
        response!.Status.Should().Be(200, path);
    }

    /// <summary>The public pages, with a finished build and its log.</summary>
    private async Task<(string Name, string Path)[]> PagesAsync()
    {
        var build = await fixture.FinishedBuildAsync();
        var task = build.Tasks.First(t => t.Arch == "x86_64");
        return
        [
            ("home", ""),
            ("builds", "builds"),
            ("build", $"builds/{build.Id}"),
            ("log", $"builds/{build.Id}/tasks/{task.Id}/logs/build.1.log"),
            ("agents", "agents"),
            ("teams", "teams"),
            ("team", "teams/demo"),
            ("products", "products"),
            ("product", "products/demo"),
        ];
    }
}
