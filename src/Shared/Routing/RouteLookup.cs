namespace Calltracking.Shared.Routing;

/// <summary>The answer to a <see cref="RouteQuery"/>.</summary>
/// <param name="Status">Whether the call can be routed.</param>
/// <param name="Decision">The route when <see cref="RouteLookupStatus.Found"/>.</param>
/// <param name="Degraded">True when a backing store was unavailable and the answer was made from what was known (routed without attribution).</param>
public sealed record RouteLookup(RouteLookupStatus Status, RouteDecision? Decision, bool Degraded = false)
{
    public static RouteLookup Unknown { get; } = new(RouteLookupStatus.UnknownNumber, null);
}
