namespace Albs.Modules.Common.Jobs;

/// <summary>A queue and the handlers of its job kinds, collected from <c>AddJobQueue</c>/<c>AddJobHandler</c>.</summary>
internal sealed record JobQueueRegistration(string Name, JobQueueOptions Options);

internal sealed record JobHandlerRegistration(string Queue, string Kind, Type HandlerType);

internal sealed class JobRegistry(IEnumerable<JobQueueRegistration> queues, IEnumerable<JobHandlerRegistration> handlers)
{
    private readonly Dictionary<string, JobQueueRegistration> queues = queues.ToDictionary(q => q.Name, StringComparer.Ordinal);
    private readonly Dictionary<(string Queue, string Kind), Type> handlers = handlers.ToDictionary(h => (h.Queue, h.Kind), h => h.HandlerType);

    public IReadOnlyCollection<JobQueueRegistration> Queues => queues.Values;

    public bool HasQueue(string name) => queues.ContainsKey(name);

    public Type? HandlerFor(string queue, string kind) => handlers.GetValueOrDefault((queue, kind));
}
