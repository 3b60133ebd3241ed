using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Albs.Modules.Common.Storage;

/// <summary>Healthy when the data directory exists and a file can be written in it.</summary>
internal sealed class DataDirectoryHealthCheck(DataDirectory dataDirectory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var probe = Path.Combine(dataDirectory.Path, $".health-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllTextAsync(probe, "ok", cancellationToken);
            File.Delete(probe);
            return HealthCheckResult.Healthy(dataDirectory.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return HealthCheckResult.Unhealthy($"data directory {dataDirectory.Path} is not writable: {ex.Message}");
        }
    }
}
