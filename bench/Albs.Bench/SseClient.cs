using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Albs.Bench;

/// <summary>One server-sent event, with the client's clock when its blank line (its end) was read.</summary>
internal sealed record SseEvent(string Type, string? Id, string Data, DateTimeOffset ReceivedAt);

/// <summary>The stream answered 404: the server has no such endpoint (or no such build/task).</summary>
internal sealed class SseNotFoundException(string message) : Exception(message);

/// <summary>
/// A minimal <c>text/event-stream</c> reader (the WHATWG format: <c>field: value</c> lines, events
/// end at a blank line, <c>:</c> starts a comment). It reads until an <c>end</c> event; when the
/// connection drops before that, it reconnects with <c>Last-Event-ID</c>, as a browser would.
/// </summary>
internal static class SseClient
{
    public static async Task ReadAsync(HttpClient client, string path, Func<SseEvent, ValueTask> onEvent, CancellationToken ct)
    {
        string? lastId = null;
        for (var connection = 1; ; connection++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (lastId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastId);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new SseNotFoundException($"GET {path} answered 404 Not Found");
            }

            response.EnsureSuccessStatusCode();
            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                throw new InvalidOperationException($"GET {path} answered {response.Content.Headers.ContentType}, not text/event-stream");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, new UTF8Encoding(false));
            string type = "message";
            var data = new StringBuilder();
            var hasData = false;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length == 0)
                {
                    if (hasData || type != "message")
                    {
                        await onEvent(new SseEvent(type, lastId, data.ToString(), DateTimeOffset.UtcNow));
                        if (type == "end")
                        {
                            return;
                        }
                    }

                    (type, hasData) = ("message", false);
                    data.Clear();
                    continue;
                }

                if (line[0] == ':')
                {
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' '))
                {
                    value = value[1..];
                }

                switch (field)
                {
                    case "event":
                        type = value;
                        break;
                    case "data":
                        if (hasData)
                        {
                            data.Append('\n');
                        }

                        data.Append(value);
                        hasData = true;
                        break;
                    case "id" when !value.Contains('\0', StringComparison.Ordinal):
                        lastId = value;
                        break;
                    default:
                        break;
                }
            }

            if (connection == 5)
            {
                throw new IOException($"GET {path}: the stream ended {connection} times without an end event");
            }
        }
    }
}
