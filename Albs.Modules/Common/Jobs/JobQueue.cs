using Albs.Modules.Common.Persistence;

namespace Albs.Modules.Common.Jobs;

internal sealed class JobQueue(AlbsDbContext db, JobRegistry registry, TimeProvider clock) : IJobQueue
{
    public void Enqueue(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!registry.HasQueue(request.Queue))
        {
            throw new ArgumentException($"Job queue '{request.Queue}' is not registered.", nameof(request));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(request.MaxAttempts, 1, nameof(request));
        var now = clock.GetUtcNow().UtcDateTime;
        db.Add(new Job
        {
            Queue = request.Queue,
            Kind = request.Kind,
            Payload = request.Payload,
            Priority = request.Priority,
            MaxAttempts = request.MaxAttempts,
            NotBefore = request.NotBefore?.ToUniversalTime() ?? now,
            CreatedAt = now,
        });
    }
}
