using System.Security.Claims;
using Albs.Modules.Identity.Contracts;

namespace Albs.Modules.Builds.Contracts;

/// <summary>Filters and page of the build list; empty filters match everything.</summary>
/// <param name="Package">A source's package name.</param>
/// <param name="Status">The build's status.</param>
/// <param name="Platform">A task's platform.</param>
/// <param name="Arch">A task's architecture.</param>
/// <param name="CreatedBy">The submitter's user name.</param>
/// <param name="Product">The product's name.</param>
/// <param name="From">Submitted at or after (UTC).</param>
/// <param name="To">Submitted at or before (UTC).</param>
/// <param name="Page">From 1.</param>
/// <param name="PageSize">1 to <see cref="BuildListQuery.MaxPageSize"/>.</param>
/// <param name="Nevra">A package the build produced (RPM or SRPM), in a form <see cref="NevraPattern.TryParse"/> accepts; an invalid one throws <see cref="ArgumentException"/>.</param>
public sealed record BuildListQuery(
    string? Package = null,
    string? Status = null,
    string? Platform = null,
    string? Arch = null,
    string? CreatedBy = null,
    string? Product = null,
    DateTime? From = null,
    DateTime? To = null,
    int Page = 1,
    int PageSize = 25,
    string? Nevra = null)
{
    /// <summary>The largest page a list answers.</summary>
    public const int MaxPageSize = 100;
}

/// <summary>A build as <see cref="IBuildQueries.GetAsync"/> answers it: the API's view and the product's id for access checks.</summary>
/// <param name="Build">The build exactly as <c>GET /api/v1/builds/{id}</c> shows it.</param>
/// <param name="ProductId">The product the build belongs to (the resource of <see cref="BuildPermissions.Cancel"/> and <see cref="BuildPermissions.Restart"/>).</param>
public sealed record BuildDetails(BuildResponse Build, long? ProductId);

/// <summary>The public reads of builds, the same code as <c>GET /api/v1/builds</c> and <c>GET /api/v1/builds/{id}</c>.</summary>
public interface IBuildQueries
{
    /// <summary>Builds newest first, filtered and paged; the page and size are taken as given (callers keep them in range).</summary>
    Task<BuildListResponse> ListAsync(BuildListQuery query, CancellationToken cancellationToken = default);

    /// <summary>The build with its sources and tasks, or null when there is none with this id.</summary>
    Task<BuildDetails?> GetAsync(long id, CancellationToken cancellationToken = default);
}

/// <summary>
/// Changes to builds, the same code as <c>POST /api/v1/builds/{id}/cancel</c> and <c>/restart-failed</c>:
/// each checks the actor's permission on the build's product and writes the audit log.
/// </summary>
public interface IBuildCommands
{
    /// <summary>
    /// Submits a build, the same code as <c>POST /api/v1/builds</c>: 400 (errors per field) when the product is missing or
    /// unknown, 401/403 without <see cref="BuildPermissions.Create"/> on it, then 400 for anything else invalid; 201 with the build.
    /// </summary>
    Task<CommandResult<BuildResponse>> SubmitAsync(ClaimsPrincipal actor, SubmitBuildRequest request, CancellationToken cancellationToken = default);

    /// <summary>Cancels idle and running tasks; 404 for an unknown build, 401/403 without <see cref="BuildPermissions.Cancel"/>, 409 when the build has ended.</summary>
    Task<CommandResult<BuildResponse>> CancelAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken = default);

    /// <summary>Puts failed tasks back in the queue; 404 for an unknown build, 401/403 without <see cref="BuildPermissions.Restart"/>, 409 when nothing failed.</summary>
    Task<CommandResult<BuildResponse>> RestartFailedAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken = default);
}
