using Albs.Modules.Common.Events;
using Albs.Modules.Common.Jobs;
using Albs.Modules.Common.Persistence;
using Albs.Modules.Common.Processes;
using Albs.Modules.Common.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Albs.Modules.Common;

/// <summary>
/// The shared kernel every module stands on: configuration of the data directory and database,
/// the one <see cref="AlbsDbContext"/>, the durable work queue and event outbox, the process runner.
/// </summary>
public static class CommonModule
{
    public static IServiceCollection AddCommonModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AlbsOptions>().Bind(configuration.GetSection(AlbsOptions.SectionName));
        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<JobsOptions>().Bind(configuration.GetSection(JobsOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton(sp =>
        {
            var albs = sp.GetRequiredService<IOptions<AlbsOptions>>().Value;
            var root = sp.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
            return new DataDirectory(Path.Combine(root, albs.DataDirectory));
        });
        services.AddSingleton(sp => DatabaseConnection.Resolve(
            sp.GetRequiredService<IOptions<DatabaseOptions>>().Value,
            configuration,
            sp.GetRequiredService<DataDirectory>()));

        // Keys for cookies, antiforgery and secrets at rest live with the data, so they survive
        // restarts; hosts sharing a database share the data directory too (docs/operations.md).
        services.AddDataProtection().SetApplicationName("albs");
        services.AddOptions<KeyManagementOptions>().Configure<DataDirectory, ILoggerFactory>((o, dir, logs) =>
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(dir.Combine("keys")), logs));

        // Registered first so the schema is current before any other hosted service starts.
        services.AddHostedService<DatabaseMigrator>();

        services.AddSingleton<JobSignal>();
        services.AddSingleton<JobWakeupInterceptor>();
        services.AddSingleton(sp => new SqliteWriteGate(
            sp.GetRequiredService<DatabaseConnection>().BusyTimeout,
            sp.GetRequiredService<ILogger<SqliteWriteGate>>()));
        // Pooled: a context is reset and reused instead of built with its internal services each
        // time (every task start and every dispatch round creates several).
        services.AddPooledDbContextFactory<AlbsDbContext>((sp, options) =>
        {
            var connection = sp.GetRequiredService<DatabaseConnection>();
            connection.Configure(options);
            options.AddInterceptors(sp.GetRequiredService<JobWakeupInterceptor>());
            if (connection.Provider == DatabaseProvider.Sqlite)
            {
                // This process's writers queue on an async lock, not in SQLite's busy handler (docs/adr/0015).
                options.AddInterceptors(sp.GetRequiredService<SqliteWriteGate>(), new SqliteConnectionSetup());
            }

            // Migrations are written by hand and have no model snapshot; the schema tests compare
            // the migrated database with the model instead (docs/adr/0003).
            options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        });
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<AlbsDbContext>>().CreateDbContext());

        services.AddSingleton<JobRegistry>();
        services.AddSingleton<JobStore>();
        services.AddSingleton<JobHostIdentity>();
        services.AddScoped<IJobQueue, JobQueue>();
        services.AddHostedService<JobDispatcher>();
        services.AddHostedService<PostgresJobListener>();

        services.AddJobQueue(EventOutbox.Queue, q => q.Concurrency = 4);
        services.AddScoped<IEventPublisher, EventPublisher>();

        services.AddSingleton<IProcessRunner, ProcessRunner>();
        services.AddSingleton<ContentStore>();

        services.AddHealthChecks()
            .AddDbContextCheck<AlbsDbContext>("database")
            .AddCheck<DataDirectoryHealthCheck>("data-directory");
        return services;
    }
}
