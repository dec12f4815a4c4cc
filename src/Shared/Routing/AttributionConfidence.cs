namespace Calltracking.Shared.Routing;

/// <summary>How sure the pool is that a call belongs to the attributed visit.</summary>
public enum AttributionConfidence
{
    /// <summary>No visit could be tied to the call (no lease, Redis unavailable, static script).</summary>
    None = 0,
    /// <summary>Exactly one visit held the number at the instant of the call.</summary>
    Exclusive = 1,
    /// <summary>The number was shared between visits; the most likely one was chosen.</summary>
    Shared = 2,
    /// <summary>Nobody held the number; the last holder within the late-call window was chosen.</summary>
    Late = 3,
}
