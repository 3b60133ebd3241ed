using System.Net;
using System.Net.Http.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Tests.Builds;
using Albs.Tests.Support;
using AngleSharp.Html.Parser;

namespace Albs.Tests.Web;

/// <summary>The submit-build form on the real host with a real agent: a contributor builds, mistakes are answered beside the fields.</summary>
public sealed class SubmitBuildPageTests : BuildAgentTest
{
    [Fact]
    public async Task A_contributor_submits_through_the_form_lands_on_the_build_page_and_the_build_completes()
    {
        await RegisterAgentAsync("builder1");
        await RbacKit.UserAsync(App, "carol");
        await RbacKit.RolesAsync(App, "demo", "carol", "contributor");
        var browser = App.Client();
        (await AlbsWebApp.SignInAsync(browser, "carol", RbacKit.Password)).StatusCode.Should().Be(HttpStatusCode.Redirect);

        var list = await new HtmlParser().ParseDocumentAsync(await browser.GetStringAsync("/builds"));
        list.QuerySelector("[data-testid=submit-link]")!.GetAttribute("href").Should().Be("builds/new");

        var form = await AlbsWebApp.FormAsync(browser, "/builds/new", "submit-build");
        form["Input.Product"] = "demo";
        form["Input.Platforms"] = "Demo-1: x86_64";
        form["Input.Sources"] = $"{Hello.Url} main\n";
        form["Input.Defines"] = "vendor Albs";
        var response = await browser.PostAsync("/builds/new", new FormUrlEncodedContent(form));

        response.StatusCode.Should().Be(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.ToString();
        location.Should().MatchRegex("/builds/[0-9]+$");
        var id = long.Parse(location[(location.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var build = await WaitForEndAsync(id);
        build.Status.Should().Be("completed");
        build.CreatedBy.Should().Be("carol");
        build.Product.Should().Be("demo");
        build.MockOptions.Defines.Should().Contain("vendor", "Albs");
        (await browser.GetAsync($"/builds/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Mistakes_are_shown_beside_their_fields_and_nothing_is_submitted()
    {
        var browser = App.Client();
        await AlbsWebApp.SignInAsync(browser, "admin", AlbsWebApp.AdminPassword);

        var form = await AlbsWebApp.FormAsync(browser, "/builds/new", "submit-build");
        form["Input.Product"] = "demo";
        form["Input.Platforms"] = "Demo-1: sparc";
        form["Input.Sources"] = $"{Hello.Url} no-such-branch";
        var page = await new HtmlParser().ParseDocumentAsync(await (await browser.PostAsync("/builds/new", new FormUrlEncodedContent(form))).Content.ReadAsStringAsync());
        page.QuerySelector(".validation-message[data-field=tasks]")!.TextContent.Should().Be("source 1: no branch or tag 'no-such-branch' in the repository");
        page.QuerySelector(".validation-message[data-field=platforms]")!.TextContent.Should().Contain("platform 1: ").And.Contain("sparc");
        page.QuerySelector("#b-sources")!.TextContent.Should().Contain("no-such-branch", "what was typed is kept");

        form["Input.Sources"] = "just-one-word";
        form["Input.Priority"] = "high";
        page = await new HtmlParser().ParseDocumentAsync(await (await browser.PostAsync("/builds/new", new FormUrlEncodedContent(form))).Content.ReadAsStringAsync());
        page.QuerySelector(".validation-message[data-field=tasks]")!.TextContent.Should().StartWith("line 1: write a git URL and a ref");
        page.QuerySelector(".validation-message[data-field=priority]")!.TextContent.Should().Be("enter a whole number from -10 to 10");
        (await App.Client().GetFromJsonAsync<BuildListResponse>("/api/v1/builds"))!.Total.Should().Be(0);
    }

    [Fact]
    public async Task Anonymous_visitors_are_sent_to_sign_in_and_an_observer_is_refused_with_a_reason()
    {
        var anonymous = await App.Client().GetAsync("/builds/new");
        anonymous.StatusCode.Should().Be(HttpStatusCode.Redirect);
        anonymous.Headers.Location!.ToString().Should().Contain("/account/login");
        (await new HtmlParser().ParseDocumentAsync(await App.Client().GetStringAsync("/builds"))).QuerySelector("[data-testid=submit-link]").Should().BeNull();

        await RbacKit.UserAsync(App, "olga");
        await RbacKit.RolesAsync(App, "demo", "olga", "observer");
        var browser = App.Client();
        await AlbsWebApp.SignInAsync(browser, "olga", RbacKit.Password);
        var form = await AlbsWebApp.FormAsync(browser, "/builds/new", "submit-build");
        form["Input.Product"] = "demo";
        form["Input.Platforms"] = "Demo-1: x86_64";
        form["Input.Sources"] = $"{Hello.Url} main";
        var page = await new HtmlParser().ParseDocumentAsync(await (await browser.PostAsync("/builds/new", new FormUrlEncodedContent(form))).Content.ReadAsStringAsync());
        page.QuerySelector(".alert-danger")!.TextContent.Should().Contain("You may not submit builds of this product.").And.Contain("contributor role in team demo");
        (await App.Client().GetFromJsonAsync<BuildListResponse>("/api/v1/builds"))!.Total.Should().Be(0);
    }
}
