using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Model;
using Albs.Modules.Common.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Builds.Queries;

/// <summary>
/// <c>GET /api/v1/builds/{id}/events</c>: a build's state changes as Server-Sent Events. At once, and
/// whenever the build's status or any task's status, attempt or agent changes, a <c>changed</c> event
/// with <c>{"status":…,"version":…}</c> (the version is a fingerprint of that state, equal for equal
/// states on every host); once the build has finished, an <c>end</c> event with the same payload, and
/// the stream closes. Writers on this host wake the stream at once (<see cref="BuildChangeSignals"/>,
/// and on PostgreSQL other hosts' task changes through <c>NOTIFY albs_builds</c>); the state is also
/// re-read every few seconds, so correctness never depends on a wake-up.
/// </summary>
internal static class BuildEvents
{
    /// <summary>The fallback: a change no signal announced is seen within this period.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/v1/builds/{id:long}/events", StreamAsync)
            .AllowAnonymous().WithName("BuildEvents").WithTags("Builds")
            .WithSummary("Follows a build's state as Server-Sent Events ('changed' with {status, version} at once and on each change; 'end' when finished).")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces(StatusCodes.Status404NotFound);

    private static async Task<IResult> StreamAsync(long id, HttpContext http, IDbContextFactory<AlbsDbContext> contexts, BuildChangeSignals changes)
    {
        var ct = http.RequestAborted;
        var next = changes.Next(id);
        if (await StateAsync(contexts, id, ct) is not { } state)
        {
            return Results.NotFound();
        }

        var body = await EventStream.StartAsync(http.Response, 1024, ct);
        await using (body)
        {
            string? sent = null;
            var quietSince = DateTime.UtcNow;
            try
            {
                while (true)
                {
                    if (state.IsFinished)
                    {
                        await SendAsync(body, "end", state, ct);
                        return Results.Empty;
                    }

                    if (state.Version != sent)
                    {
                        await SendAsync(body, "changed", state, ct);
                        sent = state.Version;
                        quietSince = DateTime.UtcNow;
                    }
                    else if (DateTime.UtcNow - quietSince > KeepAlive)
                    {
                        await body.WriteAsync(": keep-alive\n\n");
                        await body.FlushAsync(ct);
                        quietSince = DateTime.UtcNow;
                    }

                    await Task.WhenAny(next, Task.Delay(Poll, ct));
                    ct.ThrowIfCancellationRequested();
                    next = changes.Next(id);
                    if (await StateAsync(contexts, id, ct) is not { } current)
                    {
                        return Results.Empty;
                    }

                    state = current;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client went away.
                return Results.Empty;
            }
        }
    }

    private static async Task SendAsync(StreamWriter body, string type, BuildState state, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(new { status = state.Status, version = state.Version });
        await body.WriteAsync($"event: {type}\ndata: {data}\n\n");
        await body.FlushAsync(ct);
    }

    private static async Task<BuildState?> StateAsync(IDbContextFactory<AlbsDbContext> contexts, long id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var build = await db.Set<Build>().AsNoTracking().Where(b => b.Id == id).Select(b => new { b.Status }).SingleOrDefaultAsync(ct);
        if (build is null)
        {
            return null;
        }

        var tasks = await db.Set<BuildTask>().AsNoTracking().Where(t => t.BuildId == id).OrderBy(t => t.Id)
            .Select(t => new { t.Id, t.Status, t.Attempt, t.AgentName })
            .ToListAsync(ct);
        var text = new StringBuilder(build.Status);
        foreach (var t in tasks)
        {
            text.Append(CultureInfo.InvariantCulture, $"|{t.Id}:{t.Status}:{t.Attempt}:{t.AgentName}");
        }

        var version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))[..8]);
        return new BuildState(build.Status, version);
    }

    private sealed record BuildState(string Status, string Version)
    {
        public bool IsFinished => Status is BuildStatus.Completed or BuildStatus.Failed or BuildStatus.Cancelled;
    }
}
