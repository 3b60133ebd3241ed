using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Albs.Tests.Support;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by <c>scripts/setup</c>) driven by Playwright,
/// headless. Playwright's own browser downloads are never used (no <c>playwright install</c>). Pages
/// record what the browser reports as errors (a script refused by the CSP, an exception), and
/// screenshots go to <see cref="ScreenshotDirectory"/>.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    /// <summary>The Chromium binary; <c>ALBS_CHROMIUM</c> overrides it.</summary>
    public static readonly string ExecutablePath = Environment.GetEnvironmentVariable("ALBS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private readonly IPlaywright playwright;
    private readonly IBrowser browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        this.playwright = playwright;
        this.browser = browser;
    }

    /// <summary>
    /// Where screenshots are kept: <c>ALBS_SCREENSHOTS</c>, else <c>TestResults/screenshots</c> in the
    /// test's output directory.
    /// </summary>
    public static string ScreenshotDirectory =>
        Environment.GetEnvironmentVariable("ALBS_SCREENSHOTS") is { Length: > 0 } directory
            ? directory
            : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    /// <summary>Errors the pages of this browser reported: console errors, uncaught exceptions, answers 400 and above.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>The errors recorded so far, forgotten here: a test sharing the browser sees only its own.</summary>
    public List<string> TakeErrors()
    {
        lock (Errors)
        {
            List<string> taken = [.. Errors];
            Errors.Clear();
            return taken;
        }
    }

    public static async Task<Browser> LaunchAsync()
    {
        // Expect(...) assertions retry until their own time limit, 5 s by default, apart from the
        // pages' 120 s below: on a loaded 2-core CI machine (the whole suite running beside the
        // browser tests) a page's live status may take longer than 5 s to settle. A real hang still fails.
        Assertions.SetDefaultExpectTimeout(60_000);
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                Timeout = 60_000,
            });
            return new Browser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A new page in a fresh context (no cookies: an anonymous visitor) whose relative URLs go to
    /// <paramref name="baseAddress"/>: a 1280×900 laptop window, or with <paramref name="phone"/> a
    /// 390×844 touch screen (a mobile viewport, as a phone's browser lays pages out).
    /// </summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress, bool darkScheme = false, bool phone = false)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 900 },
            IsMobile = phone,
            HasTouch = phone,
            DeviceScaleFactor = phone ? 2 : 1,
            ColorScheme = darkScheme ? ColorScheme.Dark : ColorScheme.Light,
        });
        var page = await context.NewPageAsync();

        // Playwright's 30 s default is short for a navigation that waits on a build submission
        // (git ls-remote, an insert) on a loaded 2-core CI machine; a real hang still fails.
        page.SetDefaultTimeout(120_000);
        page.SetDefaultNavigationTimeout(120_000);
        page.Console += (_, message) =>
        {
            // A failed load is reported with its address below; the console's line does not name it.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                lock (Errors)
                {
                    Errors.Add($"console: {message.Text}");
                }
            }
        };
        page.Response += (_, response) =>
        {
            // The browser asks for /favicon.ico by itself; Albs has none.
            if (response.Status >= 400 && !response.Url.EndsWith("/favicon.ico", StringComparison.Ordinal))
            {
                lock (Errors)
                {
                    Errors.Add($"{response.Status}: {response.Request.Method} {response.Url}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (Errors)
            {
                Errors.Add($"page error: {error}");
            }
        };
        return page;
    }

    /// <summary>
    /// Clicks <paramref name="link"/> and waits until the page is at an address matching <paramref name="url"/>
    /// and loaded. A click that started no navigation within 20 s is made once more, as a user would:
    /// on a loaded CI machine a link can move between Playwright's checks and its click as late styles
    /// apply (one such click left a test waiting 120 s on an idle page). A link that never navigates
    /// still fails, naming the address the page stayed at.
    /// </summary>
    public static async Task FollowAsync(IPage page, ILocator link, Regex url)
    {
        await link.ClickAsync();
        try
        {
            await page.WaitForURLAsync(url, new PageWaitForURLOptions { Timeout = 20_000 });
            return;
        }
        catch (TimeoutException) when (!url.IsMatch(page.Url))
        {
            await link.ClickAsync();
        }
        catch (TimeoutException)
        {
            // At the address already, still loading: waited for below.
        }

        try
        {
            await page.WaitForURLAsync(url);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"clicking {link} twice did not reach {url}; the page is at {page.Url}", ex);
        }
    }

    /// <summary>Saves a full-page screenshot as <c>&lt;name&gt;.png</c> in <see cref="ScreenshotDirectory"/>; returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
