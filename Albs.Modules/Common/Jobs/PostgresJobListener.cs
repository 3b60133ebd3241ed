using Albs.Modules.Common.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Albs.Modules.Common.Jobs;

/// <summary>
/// Cross-host wake-ups on PostgreSQL. A trigger on <c>common_jobs</c> sends
/// <c>NOTIFY albs_jobs, '&lt;queue&gt;'</c> whenever a job becomes ready; PostgreSQL delivers it
/// when the writing transaction commits, to every host listening here. The same connection listens
/// on the modules' channels (<see cref="PostgresChannel"/>).
/// </summary>
internal sealed class PostgresJobListener(
    DatabaseConnection database, JobSignal signal, IEnumerable<PostgresChannel> channels, ILogger<PostgresJobListener> logger) : BackgroundService
{
    public const string Channel = "albs_jobs";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Provider != DatabaseProvider.Postgres)
        {
            return;
        }

        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(database.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                var modules = channels.ToDictionary(c => c.Name, StringComparer.Ordinal);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == Channel)
                    {
                        signal.Notify(e.Payload);
                    }
                    else if (modules.TryGetValue(e.Channel, out var channel))
                    {
                        channel.OnNotification(e.Payload);
                    }
                };
                foreach (var name in modules.Keys.Prepend(Channel))
                {
                    // Channel names are constants of the modules, never user input.
                    await using var listen = new NpgsqlCommand($"LISTEN {name}", connection);
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Anything committed while we were not listening would otherwise wait for the safety wake.
                signal.NotifyAll();
                foreach (var channel in modules.Values)
                {
                    channel.OnListening();
                }

                backoff = TimeSpan.FromMilliseconds(250);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Lost the PostgreSQL job notification connection; reconnecting in {Delay}.", backoff);
                await Task.Delay(backoff, CancellationToken.None);
                backoff = backoff * 2 > TimeSpan.FromSeconds(10) ? TimeSpan.FromSeconds(10) : backoff * 2;
            }
        }
    }
}
