namespace Albs.Modules.Agents;

/// <summary>The <c>Agents</c> configuration section.</summary>
internal sealed class AgentsOptions
{
    public const string SectionName = "Agents";

    /// <summary>How often every enabled agent is probed (<c>cat /proc/loadavg</c> over its SSH connection).</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A probe that takes longer marks the agent offline.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>False on hosts that should not probe agents (another host does).</summary>
    public bool ProbeEnabled { get; set; } = true;

    /// <summary>Longest <c>ssh-keyscan</c> may take when a registration has no host key.</summary>
    public TimeSpan KeyscanTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
