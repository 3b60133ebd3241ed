using System.Globalization;
using System.Text;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Logs;

/// <summary>
/// <c>GET /api/v1/builds/{id}/tasks/{taskId}/logs/{name}/stream</c>: a task log as Server-Sent
/// Events, from the first line (or the <c>Last-Event-ID</c> / <c>?from=</c> byte offset) and then each
/// new line the moment the agent prints it. Every line is one event whose id is the byte offset after
/// it, so a reconnecting client resumes without gaps or repeats. When the attempt has ended and every
/// line was sent, an <c>end</c> event carries the task's status. A log whose attempt has not started
/// yet is waited for.
/// </summary>
internal static class LiveLog
{
    /// <summary>Followers on another host than the writer see new lines within this period.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/v1/builds/{id:long}/tasks/{taskId:long}/logs/{name}/stream", StreamAsync)
            .AllowAnonymous().WithName("StreamTaskLog").WithTags("Builds")
            .WithSummary("Follows a task log live as Server-Sent Events (one event per line; id = byte offset; a final 'end' event).")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces(StatusCodes.Status404NotFound);

    private static async Task<IResult> StreamAsync(
        long id, long taskId, string name, long? from, HttpContext http, IDbContextFactory<AlbsDbContext> contexts, DataDirectory data, LogSignals signals)
    {
        var ct = http.RequestAborted;
        if (LogFiles.AttemptOf(name) is not { } attempt || await StateAsync(contexts, id, taskId, ct) is not { } state || attempt > state.Attempt + 1)
        {
            return Results.NotFound();
        }

        var offset = Math.Max(0, from ?? (long.TryParse(http.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? last : 0));
        var path = LogFiles.PathOf(data, id, taskId, attempt);
        var body = await EventStream.StartAsync(http.Response, 16 * 1024, ct);
        await using (body)
        {
            await FollowAsync(path, attempt, offset, body, () => StateAsync(contexts, id, taskId, ct), signals, ct);
        }

        return Results.Empty;
    }

    private static async Task FollowAsync(
        string path, int attempt, long offset, StreamWriter body, Func<Task<TaskState?>> state, LogSignals signals, CancellationToken ct)
    {
        using var reader = new LineReader(path, offset);
        var quietSince = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            var next = signals.Next(path);
            if (await reader.SendAsync(body, final: false, ct) > 0)
            {
                quietSince = DateTime.UtcNow;
            }
            else
            {
                // Nothing new: has the attempt ended? (Asked only when idle, not per line.) Every line is
                // written before the task's end is recorded, so a read after seeing "ended" gets the rest.
                var current = await state();
                if (current is null || !current.IsLive(attempt))
                {
                    await reader.SendAsync(body, final: true, ct);
                    await body.WriteAsync($"event: end\ndata: {current?.Status ?? "unknown"}\n\n");
                    await body.FlushAsync(ct);
                    return;
                }

                if (DateTime.UtcNow - quietSince > KeepAlive)
                {
                    await body.WriteAsync(": keep-alive\n\n");
                    await body.FlushAsync(ct);
                    quietSince = DateTime.UtcNow;
                }
            }

            await Task.WhenAny(next, Task.Delay(Poll, ct));
        }
    }

    private static async Task<TaskState?> StateAsync(IDbContextFactory<AlbsDbContext> contexts, long buildId, long taskId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Set<BuildTask>().AsNoTracking()
            .Where(t => t.Id == taskId && t.BuildId == buildId)
            .Select(t => new TaskState(t.Status, t.Attempt))
            .SingleOrDefaultAsync(ct);
    }

    private sealed record TaskState(string Status, int Attempt)
    {
        /// <summary>Attempt <paramref name="attempt"/> is running, or is the next one and the task waits for it.</summary>
        public bool IsLive(int attempt) =>
            (Status == BuildStatus.Started && Attempt == attempt) || (Status == BuildStatus.Idle && Attempt == attempt - 1);
    }

    /// <summary>Reads whole lines from a log that may still grow and sends each as an event.</summary>
    private sealed class LineReader(string path, long offset) : IDisposable
    {
        /// <summary>A longer line without a newline is sent in pieces, so memory stays bounded.</summary>
        private const int MaxLine = 64 * 1024;

        private readonly byte[] buffer = new byte[64 * 1024];
        private readonly List<byte> pending = [];
        private Stream? log;
        private long offset = offset;

        /// <summary>Sends the complete lines read so far (and, when <paramref name="final"/>, a last unterminated one).</summary>
        public async Task<int> SendAsync(StreamWriter body, bool final, CancellationToken ct)
        {
            if (log is null)
            {
                if ((log = LogFiles.OpenRead(path)) is null)
                {
                    return 0;
                }

                offset = Math.Min(offset, log.Length);
                log.Seek(offset, SeekOrigin.Begin);
            }

            var sent = 0;
            int read;
            while ((read = await log.ReadAsync(buffer, ct)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    pending.Add(buffer[i]);
                    if (buffer[i] == (byte)'\n' || pending.Count >= MaxLine)
                    {
                        await SendLineAsync(body);
                        sent++;
                    }
                }
            }

            if (final && pending.Count > 0)
            {
                await SendLineAsync(body);
                sent++;
            }

            if (sent > 0)
            {
                await body.FlushAsync(ct);
            }

            return sent;
        }

        public void Dispose() => log?.Dispose();

        private async Task SendLineAsync(StreamWriter body)
        {
            offset += pending.Count;
            var text = Encoding.UTF8.GetString([.. pending]).TrimEnd('\n').TrimEnd('\r');
            pending.Clear();
            await body.WriteAsync("id: ");
            await body.WriteAsync(offset.ToString(CultureInfo.InvariantCulture));
            await body.WriteAsync('\n');

            // A carriage return inside a line (progress output) would end the field: each piece is a field.
            foreach (var piece in text.Split('\r'))
            {
                await body.WriteAsync("data: ");
                await body.WriteAsync(piece);
                await body.WriteAsync('\n');
            }

            await body.WriteAsync('\n');
        }
    }
}
