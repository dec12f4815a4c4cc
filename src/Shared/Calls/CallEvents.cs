using Calltracking.Shared.Routing;

namespace Calltracking.Shared.Calls;

/// <summary>A call reached the edge and was accepted for routing.</summary>
/// <param name="CallId">The edge's id of the call (stable, unique; used as the record key).</param>
/// <param name="SipCallId">The carrier leg's SIP Call-ID.</param>
/// <param name="Target">The target the call is forwarded to (URI as sent).</param>
public sealed record CallStarted(
    Guid CallId,
    string SipCallId,
    DateTimeOffset At,
    RouteDecision Route,
    string? CallerRaw,
    string Target,
    bool Recorded);

public sealed record CallRinging(Guid CallId, DateTimeOffset At);

public sealed record CallAnswered(Guid CallId, DateTimeOffset At);

/// <summary>The call ended. Durations derive from the timestamps of the call's events.</summary>
/// <param name="SipCode">The final SIP status that decided <paramref name="Status"/>, when one did.</param>
/// <param name="Reason">A short human-readable reason (e.g. "callee hung up", "ring timeout").</param>
public sealed record CallEnded(Guid CallId, DateTimeOffset At, CallStatus Status, int? SipCode, string? Reason)
{
    /// <summary>When the call first rang (the time <see cref="CallRinging"/> carried); null when it never did.</summary>
    public DateTimeOffset? RingingAt { get; init; }

    /// <summary>When the call was answered (the time <see cref="CallAnswered"/> carried); null when it was not.</summary>
    public DateTimeOffset? AnsweredAt { get; init; }
}
