namespace Albs.Tests.Builds;

/// <summary>A spec is code: it is evaluated by rpmbuild on the agent, never by the server.</summary>
public sealed class HostileSpecTests : BuildAgentTest
{
    private const string ServerOnlyVariable = "ALBS_TEST_SERVER_PROCESS";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterAgentAsync("builder1");
    }

    [Fact]
    public async Task A_spec_shell_expression_runs_only_inside_the_agent_build_never_on_the_server()
    {
        // This variable exists only in the server's (the test process's) environment: sshd gives agent
        // sessions a clean one. The expression writes one marker if evaluated where the variable is set
        // (the server) and another if evaluated where it is not (the agent).
        var id = Guid.NewGuid().ToString("N");
        var onServer = Path.Combine(Path.GetTempPath(), $"albs-spec-on-server-{id}");
        var onAgent = Path.Combine(Path.GetTempPath(), $"albs-spec-on-agent-{id}");
        Environment.SetEnvironmentVariable(ServerOnlyVariable, "1");
        try
        {
            var spec = "%global probe %(if [ -n \"$" + ServerOnlyVariable + "\" ]; then touch " + onServer + "; else touch " + onAgent + "; fi)\n"
                + Fixture("hello.spec");
            await Hello.CommitAsync("a spec with a shell expression", ("hello.spec", spec));

            var build = await WaitForEndAsync((await SubmitAsync(Demo(Hello.Url))).Id);

            build.Status.Should().Be("completed");
            File.Exists(onAgent).Should().BeTrue("the expression is live: rpmbuild evaluated it on the agent");
            File.Exists(onServer).Should().BeFalse("the server never evaluates a spec");
        }
        finally
        {
            Environment.SetEnvironmentVariable(ServerOnlyVariable, null);
            File.Delete(onServer);
            File.Delete(onAgent);
        }
    }
}
