using System.Text.Json;
using Albs.Modules.Common.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Albs.Modules.Common.Events;

/// <summary>The outbox row's payload: the event and when it happened.</summary>
internal sealed record EventEnvelope(Guid EventId, DateTime OccurredAt, string EventType, JsonElement Data);

/// <summary>One handler of one event type, registered by <c>AddEventHandler</c>.</summary>
internal sealed record EventSubscription(Type EventType, Type HandlerType)
{
    public string Kind => $"event:{HandlerType.FullName}";
}

internal static class EventOutbox
{
    /// <summary>Events are jobs of this queue: the outbox is the job table.</summary>
    public const string Queue = "events";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

internal sealed class EventPublisher(IJobQueue jobs, IEnumerable<EventSubscription> subscriptions, TimeProvider clock) : IEventPublisher
{
    public void Publish<TEvent>(TEvent @event) where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(@event);
        var envelope = new EventEnvelope(
            Guid.NewGuid(),
            clock.GetUtcNow().UtcDateTime,
            typeof(TEvent).FullName!,
            JsonSerializer.SerializeToElement(@event, EventOutbox.Json));
        var payload = JsonSerializer.Serialize(envelope, EventOutbox.Json);
        foreach (var subscription in subscriptions.Where(s => s.EventType == typeof(TEvent)))
        {
            jobs.Enqueue(new JobRequest(EventOutbox.Queue, subscription.Kind, payload) { MaxAttempts = 10 });
        }
    }
}

/// <summary>Delivers one outbox row to its handler.</summary>
internal sealed class EventDeliveryJob<TEvent, THandler>(THandler handler) : IJobHandler
    where TEvent : class
    where THandler : IEventHandler<TEvent>
{
    public Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        var envelope = JsonSerializer.Deserialize<EventEnvelope>(job.Payload, EventOutbox.Json)
            ?? throw new InvalidOperationException($"Outbox job {job.JobId} has an empty payload.");
        var @event = envelope.Data.Deserialize<TEvent>(EventOutbox.Json)
            ?? throw new InvalidOperationException($"Outbox job {job.JobId} holds no {typeof(TEvent).Name}.");
        return handler.HandleAsync(@event, new EventContext(envelope.EventId, envelope.OccurredAt, job.Attempt), cancellationToken);
    }
}

/// <summary>Registration of event handlers.</summary>
public static class EventServiceCollectionExtensions
{
    /// <summary>Subscribes <typeparamref name="THandler"/> (scoped) to <typeparamref name="TEvent"/>.</summary>
    public static IServiceCollection AddEventHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : class
        where THandler : class, IEventHandler<TEvent>
    {
        var subscription = new EventSubscription(typeof(TEvent), typeof(THandler));
        services.AddScoped<THandler>();
        services.AddSingleton(subscription);
        services.AddJobHandler<EventDeliveryJob<TEvent, THandler>>(EventOutbox.Queue, subscription.Kind);
        return services;
    }
}
