namespace Albs.Modules.Builds.Dispatch;

/// <summary>
/// Wake-ups for build followers (<c>GET /api/v1/builds/{id}/events</c>), keyed by build id: whoever
/// writes a task's or a build's state signals that build (or all, when it does not know which builds
/// it touched); followers also re-read every few seconds, which carries other hosts' changes.
/// </summary>
internal sealed class BuildChangeSignals : KeyedSignals<long>;
