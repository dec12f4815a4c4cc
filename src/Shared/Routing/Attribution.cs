namespace Calltracking.Shared.Routing;

/// <summary>The visit a call is attributed to, with the visit fields the edge forwards.</summary>
/// <param name="VisitId">The visit's id, or null when unattributed.</param>
/// <param name="Marker">The visit's marketing marker (e.g. <c>direct_search_1234567_buy glasses</c>).</param>
/// <param name="Confidence">How the visit was chosen.</param>
/// <param name="Fields">Visit fields usable as <c>{placeholders}</c> in custom INVITE headers (city, domain, utm_source, …).</param>
public sealed record Attribution(
    string? VisitId,
    string? Marker,
    AttributionConfidence Confidence,
    IReadOnlyDictionary<string, string> Fields)
{
    public static Attribution Unknown { get; } = new(null, null, AttributionConfidence.None, new Dictionary<string, string>());
}
