using Microsoft.Extensions.DependencyInjection;

namespace Albs.Modules.Common.Jobs;

/// <summary>Registration of queues and job handlers.</summary>
public static class JobServiceCollectionExtensions
{
    /// <summary>Declares a queue this host dispatches (once per name).</summary>
    public static IServiceCollection AddJobQueue(this IServiceCollection services, string name, Action<JobQueueOptions>? configure = null)
    {
        var options = new JobQueueOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1, nameof(configure));
        services.AddSingleton(new JobQueueRegistration(name, options));
        return services;
    }

    /// <summary>Runs jobs of <paramref name="kind"/> in <paramref name="queue"/> with <typeparamref name="THandler"/> (scoped).</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services, string queue, string kind)
        where THandler : class, IJobHandler
    {
        services.AddScoped<THandler>();
        services.AddSingleton(new JobHandlerRegistration(queue, kind, typeof(THandler)));
        return services;
    }
}
