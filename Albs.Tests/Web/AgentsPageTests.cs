using Albs.Tests.Builds;
using AngleSharp.Html.Parser;

namespace Albs.Tests.Web;

/// <summary>The public agents page against a real loopback sshd agent.</summary>
public sealed class AgentsPageTests : BuildAgentTest
{
    [Fact]
    public async Task Anyone_sees_each_agent_with_its_state_arches_and_slots_but_not_its_address()
    {
        var empty = await new HtmlParser().ParseDocumentAsync(await App.Client().GetStringAsync("/agents"));
        empty.QuerySelector("[data-testid=no-agents]").Should().NotBeNull();

        await RegisterAgentAsync("builder1");
        var page = await new HtmlParser().ParseDocumentAsync(await App.Client().GetStringAsync("/agents"));
        var row = page.QuerySelector("tr[data-agent=builder1]")!;
        row.QuerySelector("[data-testid=agent-state]")!.TextContent.Should().Be("online");
        row.TextContent.Should().Contain("x86_64 noarch").And.Contain("2");
        page.QuerySelector("caption")!.TextContent.Should().Contain("1 online, 2 slots usable");
        page.Body!.TextContent.Should().NotContain(Agent.User, "the page does not show how to reach an agent");
        page.QuerySelectorAll("form[method=post]").Should().BeEmpty();
    }
}
