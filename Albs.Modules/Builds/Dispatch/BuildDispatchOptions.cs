namespace Albs.Modules.Builds.Dispatch;

/// <summary>Dispatch settings (section <c>Builds</c>).</summary>
internal sealed class BuildDispatchOptions
{
    public const string SectionName = "Builds";

    /// <summary>
    /// How long a started task stays claimed by its server without renewal (renewed every third of
    /// it). When a server dies, its tasks go back to the queue this long after its last renewal.
    /// </summary>
    public TimeSpan TaskLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Whether an SRPM task's session goes on with one of its arch tasks on the same agent when that
    /// task is ready and the agent builds its arch (ADR 0016). Off: every arch task is dispatched
    /// and started in a session of its own.
    /// </summary>
    public bool ContinueInSession { get; set; } = true;
}
