using System.Diagnostics;
using Albs.Modules.Common.Processes;

namespace Albs.Tests.Common.Processes;

/// <summary>The kernel's view of a pipe, which the process runner trusts over a clock (a starved reader is not an idle pipe).</summary>
public sealed class PipeStateTests
{
    [Theory]
    [InlineData("printf data; exec sleep 5", true, "unread data waits in the pipe")]
    [InlineData("exit 0", true, "every writer closed it: the end is pending")]
    [InlineData("exec sleep 5", false, "a live writer that writes nothing")]
    public async Task A_pipe_with_data_or_its_end_is_pending_one_merely_held_open_is_not(string script, bool pending, string because)
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { RedirectStandardOutput = true })!;
        try
        {
            await Task.Delay(300);
            PipeState.AnythingPending([process.StandardOutput.BaseStream]).Should().Be(pending, because);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
