using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Albs.Modules.Builds.Contracts;

namespace Albs.Tests.Builds;

/// <summary><c>GET /api/v1/builds/{id}/events</c>: a build's state changes as Server-Sent Events, from a real build on a real agent.</summary>
public sealed class BuildEventsTests : BuildAgentTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterAgentAsync("builder1");
    }

    [Fact]
    public async Task A_running_build_sends_changed_as_its_tasks_start_and_finish_then_end_and_a_finished_build_ends_at_once()
    {
        var spec = Fixture("hello.spec").Replace("gcc -O2 -o hello hello.c", "sleep 3; gcc -O2 -o hello hello.c", StringComparison.Ordinal);
        await Hello.CommitAsync("slow build", ("hello.spec", spec));
        var build = await SubmitAsync(Demo(Hello.Url));
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");

        // Opened right after the submission, anonymously: what the build looks like at each event.
        var events = new List<SseEvent>();
        var seen = new List<string>();
        await foreach (var e in ReadEventsAsync($"/api/v1/builds/{build.Id}/events"))
        {
            events.Add(e);
            seen.Add((await GetAsync(build.Id)).Tasks.Single(t => t.Id == x86.Id).Status);
        }

        events[0].Type.Should().Be("changed", "the current state comes at once");
        events.SkipLast(1).Should().OnlyContain(e => e.Type == "changed");
        events[^1].Type.Should().Be("end");
        Status(events[^1]).Should().Be("completed");
        seen.Should().Contain("started", "an event arrives while the rebuild runs, not only at the end");
        var versions = events.Select(Version).ToList();
        versions.Should().OnlyContain(v => v.Length > 0);
        versions.Zip(versions.Skip(1)).Should().OnlyContain(p => p.First != p.Second, "an event means a change");
        events.Count.Should().BeGreaterThanOrEqualTo(3, "submitted, running and completed are different states");
        (await GetAsync(build.Id)).Status.Should().Be("completed");

        // A finished build (or a client reconnecting after the end) gets its end at once, with the same version.
        var again = await ReadEventsAsync($"/api/v1/builds/{build.Id}/events").ToListAsync();
        again.Should().ContainSingle().Which.Should().Be(events[^1]);
    }

    [Fact]
    public async Task Cancelling_a_waiting_build_ends_its_stream_and_unknown_builds_are_404()
    {
        var build = await SubmitAsync(Demo(Hello.Url) with { Platforms = [new BuildPlatformRequest("AlmaLinux-9", ["aarch64"])] });
        var events = new List<SseEvent>();
        await foreach (var e in ReadEventsAsync($"/api/v1/builds/{build.Id}/events"))
        {
            events.Add(e);
            if (events.Count == 1)
            {
                Status(e).Should().BeOneOf("idle", "running");
                (await App.AdminClient().PostAsync($"/api/v1/builds/{build.Id}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.OK);
            }
        }

        events[^1].Type.Should().Be("end");
        Status(events[^1]).Should().Be("cancelled");

        (await App.Client().GetAsync("/api/v1/builds/999999/events")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private static string Status(SseEvent e) => JsonDocument.Parse(e.Data!).RootElement.GetProperty("status").GetString()!;

    private static string Version(SseEvent e) => JsonDocument.Parse(e.Data!).RootElement.GetProperty("version").GetString()!;

    private async IAsyncEnumerable<SseEvent> ReadEventsAsync(string url, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        using var response = await App.Client().GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        string? type = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    var e = new SseEvent(type ?? "message", string.Join('\n', data));
                    yield return e;
                    if (e.Type == "end")
                    {
                        yield break;
                    }
                }

                type = null;
                data.Clear();
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line[6..]);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
        }

        throw new InvalidOperationException($"{url} closed without an end event");
    }

    private sealed record SseEvent(string Type, string? Data);
}
