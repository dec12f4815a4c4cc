using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// What a transaction leaves behind once its final response has gone (server) or come (client), for the rest of its
/// timer (J, L, I on the server side; K, D, M on the client side): its key, and the one message a retransmission gets
/// back. Nothing of the request, the application or the timers stays reachable, so a finished call costs the heap
/// this much for the 32 s its transactions linger.
/// </summary>
internal sealed class LingeringTransaction(string key, string kind, string method, byte[]? reply, SipEndPoint replyTarget, bool passesAck)
{
    public string Key { get; } = key;

    /// <summary>The transaction kind, for the active-transactions gauge (<c>server_invite</c> …).</summary>
    public string Kind { get; } = kind;

    public string Method { get; } = method;

    /// <summary>
    /// Server side: the final response, sent again for each retransmitted request. Client side: the ACK, sent again
    /// for each retransmitted final response. Null where a retransmission is only absorbed.
    /// </summary>
    public byte[]? Reply { get; } = reply;

    public SipEndPoint ReplyTarget { get; } = replyTarget;

    /// <summary>An INVITE answered 2xx: its ACK is a request of its own and goes on to the application (§17.1.1.3).</summary>
    public bool PassesAck { get; } = passesAck;
}
