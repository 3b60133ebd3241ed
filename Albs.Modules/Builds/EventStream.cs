using System.Text;
using Microsoft.AspNetCore.Http;

namespace Albs.Modules.Builds;

/// <summary>The start of a Server-Sent Events answer, shared by the live log and the build's events.</summary>
internal static class EventStream
{
    /// <summary>
    /// Sets the event-stream headers (no caching, no proxy buffering), sends them, and returns a writer on
    /// the body that has already told the client to reconnect after 2 s.
    /// </summary>
    public static async Task<StreamWriter> StartAsync(HttpResponse response, int bufferSize, CancellationToken ct)
    {
        response.Headers.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(ct);
        var body = new StreamWriter(response.Body, new UTF8Encoding(false), bufferSize, leaveOpen: true) { NewLine = "\n" };
        await body.WriteAsync("retry: 2000\n\n");
        return body;
    }
}
