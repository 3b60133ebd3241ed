using Albs.Modules.Common;
using Albs.Modules.Common.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Albs.Tests.Support;

/// <summary>
/// A real generic host with the Common module (database, job queue, outbox) on a real database,
/// for tests below the web layer. Several instances on one database act as several servers.
/// </summary>
internal sealed class ModuleHost : IAsyncDisposable
{
    private ModuleHost(IHost host) => Host = host;

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public static async Task<ModuleHost> StartAsync(TestDatabase database, Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = database.DataDirectory,
        });
        builder.Configuration.AddInMemoryCollection(database.Settings);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddCommonModule(builder.Configuration);
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new ModuleHost(host);
    }

    public async Task<T> WithDbAsync<T>(Func<AlbsDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<AlbsDbContext>());
    }

    public async Task InScopeAsync(Func<IServiceProvider, Task> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await action(scope.ServiceProvider);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}

/// <summary>A fresh, empty database on SQLite (a temporary file) or on the test PostgreSQL server.</summary>
internal sealed class TestDatabase : IDisposable
{
    private TestDatabase(string dataDirectory, Dictionary<string, string?> settings)
    {
        DataDirectory = dataDirectory;
        Settings = settings;
    }

    public string DataDirectory { get; }

    public Dictionary<string, string?> Settings { get; }

    public bool IsPostgres => Settings["Database:Provider"] == "Postgres";

    public static TestDatabase Sqlite()
    {
        var dir = NewDirectory();
        return new TestDatabase(dir, new Dictionary<string, string?>
        {
            ["Albs:DataDirectory"] = dir,
            ["Database:Provider"] = "Sqlite",
        });
    }

    public static async Task<TestDatabase> PostgresAsync(PostgresServer server)
    {
        var dir = NewDirectory();
        var connectionString = await server.CreateDatabaseAsync();
        return new TestDatabase(dir, new Dictionary<string, string?>
        {
            ["Albs:DataDirectory"] = dir,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Albs"] = connectionString,
        });
    }

    /// <summary>A context on this database without starting a host (no migrations run).</summary>
    public AlbsDbContext CreateContext()
    {
        var options = new DbContextOptionsBuilder<AlbsDbContext>();
        if (IsPostgres)
        {
            options.UseNpgsql(Settings["ConnectionStrings:Albs"]);
        }
        else
        {
            options.UseSqlite($"Data Source={Path.Combine(DataDirectory, "albs.db")}");
        }

        options.ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.PendingModelChangesWarning));
        return new AlbsDbContext(options.Options);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A host still shutting down may hold a file for a moment; the temp dir is disposable.
        }
    }

    private static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "albs-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
