namespace Albs.Modules.Agents.Contracts;

/// <summary>Base of the errors <see cref="IAgentShell"/> raises about an agent (not about a command's exit code).</summary>
public class AgentException : Exception
{
    public AgentException()
    {
    }

    public AgentException(string message)
        : base(message)
    {
    }

    public AgentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AgentException(string agentName, string message, Exception? innerException = null)
        : base(message, innerException) => AgentName = agentName;

    /// <summary>The agent concerned, when known.</summary>
    public string? AgentName { get; }
}

/// <summary>No agent has this name.</summary>
public sealed class AgentNotFoundException : AgentException
{
    public AgentNotFoundException()
    {
    }

    public AgentNotFoundException(string message)
        : base(message)
    {
    }

    public AgentNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AgentNotFoundException(string agentName, string message, Exception? innerException = null)
        : base(agentName, message, innerException)
    {
    }
}

/// <summary>
/// The agent presented a host key that is not pinned (or the agent is already marked so). It is
/// refused until a superuser pins the new key; it is never trusted silently.
/// </summary>
public sealed class AgentHostKeyMismatchException : AgentException
{
    public AgentHostKeyMismatchException()
    {
    }

    public AgentHostKeyMismatchException(string message)
        : base(message)
    {
    }

    public AgentHostKeyMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AgentHostKeyMismatchException(string agentName, string message, Exception? innerException = null)
        : base(agentName, message, innerException)
    {
    }
}

/// <summary>SSH could not connect to or authenticate with the agent (or lost the connection); it is marked offline.</summary>
public sealed class AgentUnreachableException : AgentException
{
    public AgentUnreachableException()
    {
    }

    public AgentUnreachableException(string message)
        : base(message)
    {
    }

    public AgentUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AgentUnreachableException(string agentName, string message, Exception? innerException = null)
        : base(agentName, message, innerException)
    {
    }
}
