namespace Calltracking.Shared.Routing;

/// <summary>What the SIP edge asks for each inbound INVITE.</summary>
/// <param name="DialedNumber">The pool number dialed, already normalised to digits (e.g. <c>74951234567</c>).</param>
/// <param name="Caller">The caller's number as received (the resolver normalises it per project).</param>
/// <param name="At">The instant the INVITE reached the edge.</param>
public readonly record struct RouteQuery(string DialedNumber, string? Caller, DateTimeOffset At);
