using Albs.Modules.Builds.Contracts;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Storage;

namespace Albs.Modules.Builds.Queries;

/// <summary><see cref="IBuildQueries"/> for the pages: the same reads as the API's endpoints.</summary>
internal sealed class BuildQueryService(AlbsDbContext db, DataDirectory data) : IBuildQueries
{
    public Task<BuildListResponse> ListAsync(BuildListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return BuildQueries.ListBuildsAsync(db, query, cancellationToken);
    }

    public Task<BuildDetails?> GetAsync(long id, CancellationToken cancellationToken = default) =>
        BuildQueries.GetDetailsAsync(db, data, id, cancellationToken);
}
