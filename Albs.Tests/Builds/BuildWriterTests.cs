using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Builds.Model;
using Albs.Modules.Builds.Planning;
using Albs.Modules.Builds.Submission;
using Albs.Modules.Common.Persistence;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Builds;

/// <summary>Submitted builds written together (group commit) on real SQLite and PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BuildWriterTests(PostgresFixture postgres)
{
    // Two chained sources on one platform with two arches: six tasks, with SRPM and chain dependencies.
    private static readonly IReadOnlyList<PlannedTask> Plan = BuildPlanner.Plan(2, [new PlannedPlatform("Demo", ["x86_64", "aarch64"])], independentTasks: false);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Builds_submitted_while_a_transaction_is_written_go_into_the_next_one_each_whole(string provider)
    {
        using var database = await CreateAsync(provider);
        await using var host = await StartAsync(database);
        var writer = host.Services.GetRequiredService<BuildWriter>();
        var before = writer.Transactions;

        List<long> ids;
        await using (var hold = await WriteHold.StartAsync(host, database))
        {
            var writes = Enumerable.Range(0, 60).Select(i => writer.WriteAsync(Build($"pkg{i}"), CancellationToken.None)).ToList();
            await Task.Delay(200);
            writes.Should().OnlyContain(w => !w.IsCompleted, "nothing can be written while the writes are held");
            await hold.ReleaseAsync();
            ids = [.. (await Task.WhenAll(writes)).Select(b => b.Id)];
        }

        ids.Should().OnlyHaveUniqueItems();
        (writer.Transactions - before).Should().BeLessThanOrEqualTo(2, "the writes queued behind the held one go into one transaction");
        await using var db = database.CreateContext();
        for (var i = 0; i < ids.Count; i++)
        {
            await ShouldBeWholeAsync(db, ids[i], $"pkg{i}");
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_build_that_cannot_be_written_fails_alone_and_leaves_nothing_behind(string provider)
    {
        using var database = await CreateAsync(provider);
        await using var host = await StartAsync(database);
        var writer = host.Services.GetRequiredService<BuildWriter>();

        // The broken build's plan names a third source it does not have: its tasks fail after the
        // builds of the shared transaction were inserted, so that transaction must leave nothing.
        var broken = Build("broken") with { Plan = BuildPlanner.Plan(3, [new PlannedPlatform("Demo", ["x86_64"])], independentTasks: false) };
        Task<Build>[] writes;
        await using (var hold = await WriteHold.StartAsync(host, database))
        {
            writes = [.. Enumerable.Range(0, 9).Select(i => writer.WriteAsync(Build($"ok{i}"), CancellationToken.None)).Append(writer.WriteAsync(broken, CancellationToken.None))];
            await hold.ReleaseAsync();
        }

        await FluentActions.Awaiting(() => writes[^1]).Should().ThrowAsync<ArgumentOutOfRangeException>();
        var ids = (await Task.WhenAll(writes[..^1])).Select(b => b.Id).ToArray();
        await using var db = database.CreateContext();
        (await db.Set<Build>().CountAsync()).Should().Be(9);
        (await db.Set<BuildSource>().CountAsync(s => s.Package == "broken")).Should().Be(0);
        for (var i = 0; i < ids.Length; i++)
        {
            await ShouldBeWholeAsync(db, ids[i], $"ok{i}");
        }
    }

    [Fact]
    public async Task A_build_the_database_rejects_fails_alone_on_postgres()
    {
        using var database = await TestDatabase.PostgresAsync(postgres.Server);
        await using var host = await StartAsync(database);
        var writer = host.Services.GetRequiredService<BuildWriter>();

        // The package column holds 255 characters; PostgreSQL refuses more (SQLite does not check).
        var rejected = Build(new string('x', 300));
        Task<Build>[] writes;
        await using (var hold = await WriteHold.StartAsync(host, database))
        {
            writes = [writer.WriteAsync(Build("before"), CancellationToken.None), writer.WriteAsync(rejected, CancellationToken.None), writer.WriteAsync(Build("after"), CancellationToken.None)];
            await hold.ReleaseAsync();
        }

        await FluentActions.Awaiting(() => writes[1]).Should().ThrowAsync<DbUpdateException>();
        await using var db = database.CreateContext();
        await ShouldBeWholeAsync(db, (await writes[0]).Id, "before");
        await ShouldBeWholeAsync(db, (await writes[2]).Id, "after");
        (await db.Set<Build>().CountAsync()).Should().Be(2);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_submission_cancelled_before_its_turn_is_not_written(string provider)
    {
        using var database = await CreateAsync(provider);
        await using var host = await StartAsync(database);
        var writer = host.Services.GetRequiredService<BuildWriter>();

        Task<Build> first;
        Task<Build> cancelled;
        await using (var hold = await WriteHold.StartAsync(host, database))
        {
            first = writer.WriteAsync(Build("first"), CancellationToken.None);
            await Eventually.TrueAsync(() => Task.FromResult(writer.Queued == 0), "the writer takes the first build and waits");
            using var cancellation = new CancellationTokenSource();
            cancelled = writer.WriteAsync(Build("cancelled"), cancellation.Token);
            await cancellation.CancelAsync();
            await hold.ReleaseAsync();
        }

        await FluentActions.Awaiting(() => cancelled).Should().ThrowAsync<OperationCanceledException>();
        await using var db = database.CreateContext();
        await ShouldBeWholeAsync(db, (await first).Id, "first");
        (await db.Set<BuildSource>().CountAsync(s => s.Package == "cancelled")).Should().Be(0);
    }

    private async Task<TestDatabase> CreateAsync(string provider) =>
        provider == "postgres" ? await TestDatabase.PostgresAsync(postgres.Server) : TestDatabase.Sqlite();

    private static Task<ModuleHost> StartAsync(TestDatabase database) =>
        ModuleHost.StartAsync(database, services =>
        {
            services.AddSingleton<BuildSignal>();
            services.AddSingleton<BuildWriter>();
            services.AddHostedService(sp => sp.GetRequiredService<BuildWriter>());
        });

    private static NewBuild Build(string package) => new(
        CreatedById: "u1",
        CreatedByName: "alice",
        CreatedAt: DateTime.UtcNow,
        Product: null,
        IndependentTasks: false,
        Priority: 0,
        MockOptions: "{}",
        LinkedBuilds: "[]",
        Sources: [new ValidSource("srpm", $"https://example.org/{package}-1.0-1.src.rpm", package, null), new ValidSource("srpm", "https://example.org/two-1.0-1.src.rpm", "two", null)],
        Plan: Plan);

    /// <summary>
    /// Another transaction of the same host that the writer's must wait for: on SQLite it holds the
    /// write gate every writer of this process waits at; on PostgreSQL it locks the builds table.
    /// </summary>
    private sealed class WriteHold(AlbsDbContext db, IDbContextTransaction transaction) : IAsyncDisposable
    {
        public static async Task<WriteHold> StartAsync(ModuleHost host, TestDatabase database)
        {
            var db = await host.Services.GetRequiredService<IDbContextFactory<AlbsDbContext>>().CreateDbContextAsync();
            var transaction = await db.Database.BeginTransactionAsync();
            if (database.IsPostgres)
            {
                await db.Database.ExecuteSqlRawAsync("LOCK TABLE builds_builds IN EXCLUSIVE MODE");
            }

            return new WriteHold(db, transaction);
        }

        public Task ReleaseAsync() => transaction.CommitAsync();

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await db.DisposeAsync();
        }
    }

    /// <summary>The build is there with both sources and all six tasks, their dependencies inside the build.</summary>
    private static async Task ShouldBeWholeAsync(AlbsDbContext db, long id, string package)
    {
        var sources = await db.Set<BuildSource>().AsNoTracking().Where(s => s.BuildId == id).OrderBy(s => s.Position).ToListAsync();
        sources.Select(s => s.Package).Should().Equal(package, "two");
        var tasks = await db.Set<BuildTask>().AsNoTracking().Where(t => t.BuildId == id).ToListAsync();
        tasks.Should().HaveCount(6);
        var byId = tasks.ToDictionary(t => t.Id);
        foreach (var task in tasks)
        {
            task.SourceId.Should().BeOneOf(sources.Select(s => s.Id));
            if (task.Arch == BuildPlanner.SrcArch)
            {
                task.SrpmTaskId.Should().BeNull();
                continue;
            }

            var srpm = byId[task.SrpmTaskId!.Value];
            (srpm.Arch, srpm.SourceId).Should().Be((BuildPlanner.SrcArch, task.SourceId));
            var position = sources.Single(s => s.Id == task.SourceId).Position;
            if (position == 0)
            {
                task.AfterTaskId.Should().BeNull();
            }
            else
            {
                var after = byId[task.AfterTaskId!.Value];
                (after.Arch, after.SourceId).Should().Be((task.Arch, sources[position - 1].Id));
            }
        }
    }
}
