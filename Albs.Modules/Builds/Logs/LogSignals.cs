namespace Albs.Modules.Builds.Logs;

/// <summary>Wake-ups for log followers, keyed by the log's path: a writer signals after each flushed line.</summary>
internal sealed class LogSignals : KeyedSignals<string>;
