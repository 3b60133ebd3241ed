using Albs.Modules.Agents.Contracts;
using Albs.Modules.Builds.Dispatch;
using Albs.Modules.Common.Events;

namespace Albs.Modules.Builds.Handlers;

/// <summary>An agent came online (or went away): ready tasks may now have, or lose, a place to run.</summary>
internal sealed class WakeDispatchOnAgentChange(BuildSignal signal) : IEventHandler<AgentStateChangedEvent>
{
    public Task HandleAsync(AgentStateChangedEvent @event, EventContext context, CancellationToken cancellationToken)
    {
        signal.Notify();
        return Task.CompletedTask;
    }
}
