using Albs.Modules.Agents;
using Albs.Modules.Builds;
using Albs.Modules.Common;
using Albs.Modules.Identity;
using Albs.Modules.Platforms;
using Albs.Web;

var builder = WebApplication.CreateBuilder(args);
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
