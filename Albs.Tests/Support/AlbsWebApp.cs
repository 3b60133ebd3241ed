using System.Collections.Concurrent;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Albs.Tests.Support;

/// <summary>
/// The real web host (Program) on a fresh database, with a known bootstrap admin and token;
/// <paramref name="services"/> changes its services after the application's own (fault injection).
/// </summary>
internal sealed class AlbsWebApp(TestDatabase database, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public const string AdminPassword = "Bootstrap-Pass-42";
    public const string AdminToken = "albs_test_bootstrap_token_0123456789abcdef";

    public TestDatabase Database { get; } = database;

    public ConcurrentQueue<string> Logs { get; } = new();

    public HttpClient Client() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public HttpClient AdminClient()
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var all = new Dictionary<string, string?>(Database.Settings)
        {
            ["Identity:BootstrapAdmin:Password"] = AdminPassword,
            ["Identity:BootstrapAdminToken"] = AdminToken,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        foreach (var (key, value) in all)
        {
            builder.UseSetting(key, value);
        }

        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(logging => logging.AddProvider(new CollectingLoggerProvider(Logs)));
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>Signs in through the real login form (antiforgery token included).</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string userName, string password)
    {
        var form = await FormAsync(client, "/account/login", "login");
        form["Input.UserName"] = userName;
        form["Input.Password"] = password;
        return await client.PostAsync("/account/login", new FormUrlEncodedContent(form));
    }

    /// <summary>The hidden fields of a page's form, ready to post back.</summary>
    public static async Task<Dictionary<string, string>> FormAsync(HttpClient client, string page, string formName)
    {
        var document = await new HtmlParser().ParseDocumentAsync(await client.GetStringAsync(page));
        var form = document.Forms.Single(f => f.QuerySelector($"input[name=_handler][value={formName}]") is not null);
        return form.QuerySelectorAll("input[type=hidden]").OfType<IHtmlInputElement>().ToDictionary(i => i.Name!, i => i.Value);
    }

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Collector(sink, categoryName);

        public void Dispose()
        {
        }

        private sealed class Collector(ConcurrentQueue<string> sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                sink.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
