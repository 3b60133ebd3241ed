namespace Albs.Modules.Common.Events;

/// <summary>
/// Publishes domain events through the outbox: the event is written in the current scope's
/// <see cref="Persistence.AlbsDbContext"/> as one job per registered handler, so it commits or
/// rolls back with the state change that raised it and is delivered after commit.
/// Call it before the <c>SaveChanges</c> that commits the change.
/// </summary>
public interface IEventPublisher
{
    void Publish<TEvent>(TEvent @event) where TEvent : class;
}

/// <summary>
/// Reacts to an event. Delivery is at least once per handler and exactly once for the changes a
/// handler stages in the scoped <see cref="Persistence.AlbsDbContext"/> without saving (they commit
/// together with the delivery record). Handlers with outside effects must be idempotent, keyed by
/// <see cref="EventContext.EventId"/>.
/// </summary>
public interface IEventHandler<in TEvent> where TEvent : class
{
    Task HandleAsync(TEvent @event, EventContext context, CancellationToken cancellationToken);
}

/// <summary>Delivery details of one event to one handler.</summary>
public sealed record EventContext(Guid EventId, DateTime OccurredAt, int Attempt);
