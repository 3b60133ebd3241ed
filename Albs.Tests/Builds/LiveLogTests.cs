using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Albs.Tests.Builds;

/// <summary>The live log: Server-Sent Events from a real build on a real agent, then the stored, compressed log.</summary>
public sealed class LiveLogTests : BuildAgentTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterAgentAsync("builder1");
    }

    [Fact]
    public async Task Lines_arrive_while_the_task_runs_then_an_end_event_and_the_log_is_stored_compressed()
    {
        var spec = Fixture("hello.spec").Replace(
            "gcc -O2 -o hello hello.c",
            "for i in 1 2 3 4 5 6; do echo \"tick $i\"; sleep 0.4; done; gcc -O2 -o hello hello.c",
            StringComparison.Ordinal);
        await Hello.CommitAsync("slow, chatty build", ("hello.spec", spec));
        var build = await SubmitAsync(Demo(Hello.Url));
        var x86 = build.Tasks.Single(t => t.Arch == "x86_64");
        var url = $"/api/v1/builds/{build.Id}/tasks/{x86.Id}/logs/build.1.log";

        // Opened before the task has even started: the stream waits for the log.
        var events = new List<SseEvent>();
        string? statusAtFirstTick = null;
        await foreach (var e in ReadEventsAsync(url))
        {
            events.Add(e);
            if (e.Data == "tick 1")
            {
                statusAtFirstTick = (await GetAsync(build.Id)).Tasks.Single(t => t.Id == x86.Id).Status;
            }
        }

        statusAtFirstTick.Should().Be("started", "lines are delivered while the task runs, not after it");
        events[^1].Should().Be(new SseEvent("end", null, "completed"));
        var lines = events.SkipLast(1).ToList();
        lines.Should().OnlyContain(e => e.Type == "message");
        lines.Select(e => e.Data).Should().ContainInOrder("tick 1", "tick 2", "tick 3", "tick 4", "tick 5", "tick 6");

        // The events are exactly the stored log, and each id is the byte offset after its line.
        var raw = await App.Client().GetStringAsync(url);
        raw.Should().Contain("task completed");
        string.Join("", lines.Select(e => e.Data + "\n")).Should().Be(raw);
        lines.Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).Should().BeInAscendingOrder()
            .And.EndWith(Encoding.UTF8.GetByteCount(raw));
        var tick2 = lines.Single(e => e.Data == "tick 2");
        Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(raw)[..int.Parse(tick2.Id!, System.Globalization.CultureInfo.InvariantCulture)]).Should().EndWith("tick 2\n");

        // Stored compressed once the attempt ended; reads and ranges see the plain text.
        var directory = Path.Combine(Database.DataDirectory, "logs", $"build-{build.Id}", $"task-{x86.Id}");
        Directory.GetFiles(directory).Select(Path.GetFileName).Should().Equal("build.1.log.gz");
        (await GetAsync(build.Id)).Tasks.Single(t => t.Id == x86.Id).Logs.Should().Equal("build.1.log");
        var offset = raw.IndexOf("tick 3", StringComparison.Ordinal);
        var range = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(offset, offset + 5) } };
        var partial = await App.Client().SendAsync(range);
        partial.StatusCode.Should().Be(HttpStatusCode.PartialContent);
        (await partial.Content.ReadAsStringAsync()).Should().Be("tick 3");
        partial.Content.Headers.ContentRange!.Length.Should().Be(Encoding.UTF8.GetByteCount(raw));

        // A client that reconnects with the last id it saw gets the rest, without gaps or repeats, from the compressed log.
        var resumed = await ReadEventsAsync(url, tick2.Id).ToListAsync();
        resumed.Should().Equal(lines.SkipWhile(e => e != tick2).Skip(1).Append(events[^1]));
    }

    [Fact]
    public async Task Unknown_tasks_and_names_are_404()
    {
        var build = await SubmitAsync(Demo(Hello.Url));
        var task = build.Tasks[0].Id;
        var anonymous = App.Client();
        foreach (var url in new[]
        {
            $"/api/v1/builds/{build.Id}/tasks/999999/logs/build.1.log/stream",
            $"/api/v1/builds/{build.Id + 1}/tasks/{task}/logs/build.1.log/stream",
            $"/api/v1/builds/{build.Id}/tasks/{task}/logs/build.0.log/stream",
            $"/api/v1/builds/{build.Id}/tasks/{task}/logs/build.9.log/stream",
            $"/api/v1/builds/{build.Id}/tasks/{task}/logs/..%2Fbuild.1.log/stream",
            $"/api/v1/builds/{build.Id}/tasks/{task}/logs/build.1.log.gz/stream",
        })
        {
            (await anonymous.GetAsync(url)).StatusCode.Should().Be(HttpStatusCode.NotFound, url);
        }
    }

    private async IAsyncEnumerable<SseEvent> ReadEventsAsync(string logUrl, string? lastEventId = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        using var request = new HttpRequestMessage(HttpMethod.Get, logUrl + "/stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await App.Client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        string? type = null, id = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    var e = new SseEvent(type ?? "message", id, string.Join('\n', data));
                    yield return e;
                    if (e.Type == "end")
                    {
                        yield break;
                    }
                }

                (type, id) = (null, null);
                data.Clear();
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line[6..]);
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
        }
    }

    private sealed record SseEvent(string Type, string? Id, string? Data);
}
