using System.Security.Claims;
using System.Text.Json;
using Albs.Modules.Builds.Contracts;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Albs.Modules.Builds.Submission;

/// <summary><c>POST /api/v1/builds</c>: validate, resolve refs, plan the tasks, store them in one transaction (<see cref="BuildWriter"/>).</summary>
internal static class SubmitBuild
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/v1/builds", HandleAsync)
            .RequirePermission(BuildPermissions.Create)
            .WithName("SubmitBuild")
            .WithTags("Builds")
            .WithSummary("Submit a build of git refs or SRPMs for platforms and architectures.");

    private static async Task<IResult> HandleAsync(SubmitBuildRequest request, ClaimsPrincipal user, IBuildCommands commands, CancellationToken ct) =>
        (await commands.SubmitAsync(user, request, ct)).ToHttp(b => $"/api/v1/builds/{b.Id}", "The build request is not valid.");

    /// <summary>What the build will be: its row, its sources and its planned tasks, not yet written (<see cref="BuildWriter"/> writes it).</summary>
    internal static NewBuild Describe(ValidBuildRequest valid, SubmitBuildRequest request, ClaimsPrincipal user, DateTime now, ProductDto? product = null)
    {
        var userName = user.Identity?.Name ?? "unknown";
        var plan = BuildPlanner.Plan(valid.Sources.Count, [.. valid.Platforms.Select(p => new PlannedPlatform(p.Platform.Name, p.Arches))], request.IndependentTasks);
        return new NewBuild(
            CreatedById: user.FindFirstValue(ClaimTypes.NameIdentifier) ?? userName,
            CreatedByName: userName,
            CreatedAt: now,
            Product: product,
            IndependentTasks: request.IndependentTasks,
            Priority: request.Priority,
            MockOptions: JsonSerializer.Serialize(new MockOptionsRequest(valid.Options.With, valid.Options.Without, valid.Options.Defines), JsonSerializerOptions.Web),
            LinkedBuilds: JsonSerializer.Serialize(valid.LinkedBuilds),
            Sources: valid.Sources,
            Plan: plan);
    }
}

/// <summary>
/// A submitted build as it will be written: every value fixed at submission. Its entities are made
/// afresh for each attempt to write it (<see cref="Materialize"/>), so a failed attempt leaves nothing
/// behind in the next.
/// </summary>
internal sealed record NewBuild(
    string CreatedById,
    string CreatedByName,
    DateTime CreatedAt,
    ProductDto? Product,
    bool IndependentTasks,
    int Priority,
    string MockOptions,
    string LinkedBuilds,
    IReadOnlyList<ValidSource> Sources,
    IReadOnlyList<PlannedTask> Plan)
{
    public (Build Build, Dictionary<PlannedTask, BuildTask> Tasks) Materialize()
    {
        var build = new Build
        {
            CreatedById = CreatedById,
            CreatedByName = CreatedByName,
            CreatedAt = CreatedAt,
            ProductId = Product?.Id,
            ProductName = Product?.Name,
            IndependentTasks = IndependentTasks,
            Priority = Priority,
            MockOptions = MockOptions,
            LinkedBuilds = LinkedBuilds,
        };
        for (var i = 0; i < Sources.Count; i++)
        {
            var source = Sources[i];
            build.Sources.Add(new BuildSource
            {
                Position = i,
                Kind = source.Kind,
                Url = source.Url,
                Package = source.Package,
                Ref = source.Git?.Ref,
                RefKind = source.Git?.Kind.ToString().ToLowerInvariant(),
                CommitId = source.Git?.Commit,
            });
        }

        var tasks = Plan.ToDictionary(p => p, p => new BuildTask
        {
            Platform = p.Platform,
            Arch = p.Arch,
            Submitter = CreatedByName,
            Priority = Priority,
            CreatedAt = CreatedAt,
        });
        return (build, tasks);
    }
}
