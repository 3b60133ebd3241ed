using Albs.Modules.Common.Persistence;
using Albs.Modules.Identity.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Albs.Modules.Identity.Teams;

internal sealed class ProductDirectory(AlbsDbContext db) : IProductDirectory
{
    public async Task<ProductDto?> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        var normalized = Names.Normalize(name);
        return (await QueryAsync(p => p.NormalizedName == normalized, cancellationToken)).SingleOrDefault();
    }

    public async Task<ProductDto?> FindByIdAsync(long id, CancellationToken cancellationToken = default) =>
        (await QueryAsync(p => p.Id == id, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<ProductDto>> ListAsync(string? team = null, CancellationToken cancellationToken = default)
    {
        if (team is null)
        {
            return await QueryAsync(_ => true, cancellationToken);
        }

        var normalized = Names.Normalize(team);
        var teamId = await db.Set<Team>().Where(t => t.NormalizedName == normalized).Select(t => (long?)t.Id).SingleOrDefaultAsync(cancellationToken);
        return teamId is null ? [] : await QueryAsync(p => p.TeamId == teamId, cancellationToken);
    }

    private async Task<IReadOnlyList<ProductDto>> QueryAsync(System.Linq.Expressions.Expression<Func<Product, bool>> filter, CancellationToken ct) =>
        await db.Set<Product>().AsNoTracking().Where(filter)
            .Join(db.Set<Team>(), p => p.TeamId, t => t.Id, (p, t) => new { p, Team = t.Name })
            .OrderBy(x => x.p.NormalizedName)
            .Select(x => new ProductDto(x.p.Id, x.p.Name, x.p.Title, x.p.Description, x.p.TeamId, x.Team, x.p.IsCommunity, x.p.CreatedAt))
            .ToListAsync(ct);
}
