namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// Why a message was refused, with the answer a server gives (RFC 3261 §8.2, §16.3, §21.4): 400 naming the problem,
/// 416 for an unsupported URI scheme, 483 when Max-Forwards ran out, 505 for another SIP version, 513 when too large.
/// <see cref="Partial"/> holds what was parsed when it is enough to build a response (§8.2.6); otherwise the
/// message is dropped and counted.
/// </summary>
public sealed record SipParseError(int StatusCode, string Reason, string MetricReason, SipMessage? Partial)
{
    public bool CanRespond => Partial is { IsRequest: true, CallId.Length: > 0, CSeqMethod.Length: > 0 } p && p.Vias.Count > 0 && p.Method != "ACK"
        && p.HasHeader(SipHeaderNames.From) && p.HasHeader(SipHeaderNames.To);
}
