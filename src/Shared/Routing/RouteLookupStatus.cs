namespace Calltracking.Shared.Routing;

public enum RouteLookupStatus
{
    /// <summary>The number belongs to an enabled script: route it.</summary>
    Found,
    /// <summary>The number is not in any project's pool (SIP 404).</summary>
    UnknownNumber,
    /// <summary>The number's script is disabled or deleted (SIP 480).</summary>
    ScriptDisabled,
}
