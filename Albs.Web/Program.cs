using Albs.Modules.Agents;
using Albs.Modules.Builds;
using Albs.Modules.Common;
using Albs.Modules.Identity;
using Albs.Modules.Platforms;
using Albs.Web;

var builder = WebApplication.CreateBuilder(args);

// Some work blocks a pool thread while it waits (Microsoft.Data.Sqlite is synchronous; a burst of
// builds starts many processes at once): the pool starts with enough threads instead of adding
// them one or two per second under a burst (measured in docs/performance.md).
var minThreads = builder.Configuration.GetValue("Albs:MinThreads", 64);
ThreadPool.GetMinThreads(out var workerThreads, out var ioThreads);
if (workerThreads < minThreads)
{
    ThreadPool.SetMinThreads(minThreads, ioThreads);
}
builder.Services
    .AddCommonModule(builder.Configuration)
    .AddIdentityModule(builder.Configuration)
    .AddPlatformsModule(builder.Configuration)
    .AddAgentsModule(builder.Configuration)
    .AddBuildsModule(builder.Configuration)
    .AddWebShell();

var app = builder.Build();
app.UseWebShell();
app.MapIdentityModule();
app.MapPlatformsModule();
app.MapAgentsModule();
app.MapBuildsModule();
app.MapWebShell();
await app.RunAsync();

/// <summary>Entry point; public so integration tests can host it.</summary>
public partial class Program;
