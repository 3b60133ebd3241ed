using System.Collections.Concurrent;
using Albs.Modules.Common.Events;
using Albs.Modules.Common.Jobs;
using Albs.Modules.Common.Persistence;
using Albs.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Tests.Common.Events;

public sealed record PackageBuiltEvent(long BuildId, string Nevra);

/// <summary>What each handler received, shared by every host of one test.</summary>
internal sealed class Deliveries
{
    public ConcurrentDictionary<(string Handler, Guid EventId), int> Count { get; } = new();

    public ConcurrentQueue<PackageBuiltEvent> Received { get; } = new();

    /// <summary>Handlers named here fail their first attempt.</summary>
    public ConcurrentDictionary<string, bool> FailFirst { get; } = new();

    public void Record(string handler, PackageBuiltEvent e, EventContext context)
    {
        if (FailFirst.ContainsKey(handler) && context.Attempt == 1)
        {
            throw new InvalidOperationException($"{handler} fails its first attempt");
        }

        Count.AddOrUpdate((handler, context.EventId), 1, (_, n) => n + 1);
        Received.Enqueue(e);
    }
}

internal sealed class NotarizeOnBuild(Deliveries deliveries) : IEventHandler<PackageBuiltEvent>
{
    public Task HandleAsync(PackageBuiltEvent @event, EventContext context, CancellationToken cancellationToken)
    {
        deliveries.Record(nameof(NotarizeOnBuild), @event, context);
        return Task.CompletedTask;
    }
}

internal sealed class TestOnBuild(Deliveries deliveries) : IEventHandler<PackageBuiltEvent>
{
    public Task HandleAsync(PackageBuiltEvent @event, EventContext context, CancellationToken cancellationToken)
    {
        deliveries.Record(nameof(TestOnBuild), @event, context);
        return Task.CompletedTask;
    }
}

public sealed class EventOutboxTests
{
    private static Task<ModuleHost> StartAsync(TestDatabase database, Deliveries deliveries, bool dispatch) =>
        ModuleHost.StartAsync(
            database,
            services =>
            {
                services.AddSingleton(deliveries);
                services.AddEventHandler<PackageBuiltEvent, NotarizeOnBuild>();
                services.AddEventHandler<PackageBuiltEvent, TestOnBuild>();
            },
            new Dictionary<string, string?>
            {
                ["Jobs:DispatchEnabled"] = dispatch ? "true" : "false",
                ["Jobs:SafetyWake"] = "01:00:00",
            });

    private static Task PublishAsync(ModuleHost host, PackageBuiltEvent e) =>
        host.InScopeAsync(async sp =>
        {
            sp.GetRequiredService<IEventPublisher>().Publish(e);
            await sp.GetRequiredService<AlbsDbContext>().SaveChangesAsync();
        });

    private static Task<List<Job>> OutboxAsync(ModuleHost host) =>
        host.WithDbAsync(db => db.Set<Job>().AsNoTracking().Where(j => j.Queue == "events").ToListAsync());

    [Fact]
    public async Task Event_committed_before_a_crash_is_delivered_after_restart_exactly_once_per_handler()
    {
        using var database = TestDatabase.Sqlite();
        var deliveries = new Deliveries();

        // The first server commits the event and dies before dispatching anything.
        await using (var crashed = await StartAsync(database, deliveries, dispatch: false))
        {
            await PublishAsync(crashed, new PackageBuiltEvent(42, "bash-5.1.8-9.el9.x86_64"));
            (await OutboxAsync(crashed)).Should().HaveCount(2).And.OnlyContain(j => j.Status == "ready");
        }

        deliveries.Count.Should().BeEmpty();

        // The restarted server delivers it, once to each handler.
        await using (var restarted = await StartAsync(database, deliveries, dispatch: true))
        {
            await Eventually.TrueAsync(async () => (await OutboxAsync(restarted)).All(j => j.Status == "succeeded"), "the outbox is drained");
        }

        deliveries.Count.Keys.Select(k => k.Handler).Should().BeEquivalentTo([nameof(NotarizeOnBuild), nameof(TestOnBuild)]);
        deliveries.Count.Values.Should().OnlyContain(n => n == 1);
        deliveries.Count.Keys.Select(k => k.EventId).Distinct().Should().ContainSingle("both handlers see the same event id");
        deliveries.Received.Should().AllBeEquivalentTo(new PackageBuiltEvent(42, "bash-5.1.8-9.el9.x86_64"));

        // A further restart delivers nothing again.
        await using (var again = await StartAsync(database, deliveries, dispatch: true))
        {
            await Task.Delay(500);
        }

        deliveries.Count.Values.Should().OnlyContain(n => n == 1);
    }

    [Fact]
    public async Task Event_of_a_rolled_back_transaction_is_never_delivered()
    {
        using var database = TestDatabase.Sqlite();
        var deliveries = new Deliveries();
        await using var host = await StartAsync(database, deliveries, dispatch: true);

        await host.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<AlbsDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            sp.GetRequiredService<IEventPublisher>().Publish(new PackageBuiltEvent(1, "rolled-back"));
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        });
        await PublishAsync(host, new PackageBuiltEvent(2, "committed"));

        await Eventually.TrueAsync(() => Task.FromResult(deliveries.Count.Count == 2), "the committed event is delivered");
        (await OutboxAsync(host)).Should().HaveCount(2);
        deliveries.Received.Select(e => e.Nevra).Should().OnlyContain(n => n == "committed");
    }

    [Fact]
    public async Task A_failing_handler_is_retried_alone_while_the_other_handler_ran_once()
    {
        using var database = TestDatabase.Sqlite();
        var deliveries = new Deliveries();
        deliveries.FailFirst[nameof(TestOnBuild)] = true;
        await using var host = await StartAsync(database, deliveries, dispatch: true);
        // The events queue's first retry comes after its real back-off (5 s).
        await PublishAsync(host, new PackageBuiltEvent(7, "zlib-1.2.11-40.el9.x86_64"));

        await Eventually.TrueAsync(async () => (await OutboxAsync(host)).All(j => j.Status == "succeeded"), "both deliveries succeeded");
        deliveries.Count.Values.Should().Equal(1, 1);
        (await OutboxAsync(host)).Single(j => j.Kind.EndsWith(nameof(TestOnBuild), StringComparison.Ordinal)).Attempt.Should().Be(2);
        (await OutboxAsync(host)).Single(j => j.Kind.EndsWith(nameof(NotarizeOnBuild), StringComparison.Ordinal)).Attempt.Should().Be(1);
    }
}
