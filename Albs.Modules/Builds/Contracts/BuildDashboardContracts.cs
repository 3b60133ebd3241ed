namespace Albs.Modules.Builds.Contracts;

/// <summary>A running or queued build as the dashboard lists it.</summary>
/// <param name="Id">The build.</param>
/// <param name="Status"><c>running</c> or <c>idle</c> (queued).</param>
/// <param name="Packages">Its sources' package names, in build order.</param>
/// <param name="Product">The product it belongs to.</param>
/// <param name="Submitter">Who submitted it.</param>
/// <param name="CreatedAt">When it was submitted (UTC).</param>
/// <param name="StartedAt">When its first task started (UTC); null while queued.</param>
/// <param name="RunningTasks">Its tasks on an agent now.</param>
/// <param name="WaitingTasks">Its tasks not started yet.</param>
public sealed record DashboardBuild(
    long Id,
    string Status,
    IReadOnlyList<string> Packages,
    string? Product,
    string Submitter,
    DateTime CreatedAt,
    DateTime? StartedAt,
    int RunningTasks,
    int WaitingTasks);

/// <summary>An agent as the dashboard shows it (no host, user or key).</summary>
/// <param name="Name">The agent.</param>
/// <param name="State"><c>online</c>, <c>offline</c>, <c>host-key-mismatch</c>, <c>disabled</c> or <c>maintenance</c>.</param>
/// <param name="Arches">Architectures it builds for.</param>
/// <param name="SlotsInUse">Tasks running on it now.</param>
/// <param name="Slots">Tasks it runs at once.</param>
/// <param name="Load">One-minute load average from the last probe.</param>
/// <param name="LastSeenAt">When a probe last reached it (UTC).</param>
public sealed record DashboardAgent(string Name, string State, IReadOnlyList<string> Arches, int SlotsInUse, int Slots, double? Load, DateTime? LastSeenAt);

/// <summary>A failed task of a recently failed build.</summary>
/// <param name="BuildId">The build.</param>
/// <param name="TaskId">The task (the build page's anchor <c>#task-{id}</c>).</param>
/// <param name="Package">The task's source's package.</param>
/// <param name="Platform">The task's platform.</param>
/// <param name="Arch">The task's architecture (<c>src</c> for the SRPM).</param>
/// <param name="FinishedAt">When it failed (UTC).</param>
/// <param name="Error">Why, as the task recorded it.</param>
public sealed record DashboardFailure(long BuildId, long TaskId, string? Package, string Platform, string Arch, DateTime? FinishedAt, string? Error);

/// <summary>
/// How long tasks wait for an agent: the time from a task becoming ready (created, and the SRPM and
/// previous chained task it needs finished) to its first start, for the first attempts of tasks of
/// builds submitted in the window; and the queue now.
/// </summary>
/// <param name="WindowHours">The window the figures cover, back from now.</param>
/// <param name="Started">Tasks measured.</param>
/// <param name="P50Seconds">Median wait; null when nothing was measured.</param>
/// <param name="P90Seconds">90th percentile wait.</param>
/// <param name="MaxSeconds">Longest wait.</param>
/// <param name="WaitingNow">Tasks not started yet (ready or still waiting for the tasks they need).</param>
/// <param name="OldestWaitingSince">Creation time of the oldest of them (UTC).</param>
public sealed record DashboardQueueWait(int WindowHours, int Started, double? P50Seconds, double? P90Seconds, double? MaxSeconds, int WaitingNow, DateTime? OldestWaitingSince);

/// <summary>The state of the build farm at <paramref name="GeneratedAt"/>, as <c>/</c> and <c>GET /api/v1/dashboard</c> show it.</summary>
/// <param name="GeneratedAt">When it was read (UTC).</param>
/// <param name="RunningTotal">All running builds (<paramref name="Running"/> holds the oldest few).</param>
/// <param name="Running">Running builds, oldest first, at most <see cref="IBuildDashboard.ListLimit"/>.</param>
/// <param name="QueuedTotal">All queued builds.</param>
/// <param name="Queued">Queued builds, oldest first, at most <see cref="IBuildDashboard.ListLimit"/>.</param>
/// <param name="Agents">Every agent, by name.</param>
/// <param name="RecentFailures">Failed tasks of the last <see cref="IBuildDashboard.FailedBuildLimit"/> failed builds, newest first.</param>
/// <param name="QueueWait">Queue wait figures.</param>
public sealed record BuildDashboard(
    DateTime GeneratedAt,
    int RunningTotal,
    IReadOnlyList<DashboardBuild> Running,
    int QueuedTotal,
    IReadOnlyList<DashboardBuild> Queued,
    IReadOnlyList<DashboardAgent> Agents,
    IReadOnlyList<DashboardFailure> RecentFailures,
    DashboardQueueWait QueueWait);

/// <summary>The public overview of the build farm: what runs, what waits, on which agents, what failed. Read-only, for anyone.</summary>
public interface IBuildDashboard
{
    /// <summary>The most running and queued builds listed.</summary>
    const int ListLimit = 50;

    /// <summary>The failed builds whose failed tasks are listed.</summary>
    const int FailedBuildLimit = 10;

    /// <summary>The dashboard now; a few bounded, indexed queries whatever the history's size.</summary>
    Task<BuildDashboard> GetAsync(CancellationToken cancellationToken = default);
}
