using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>The application above the transaction layer: it receives new requests and ACKs for 2xx responses.</summary>
public interface ISipRequestHandler
{
    /// <summary>A new request in its server transaction. Must not block: answer at once or continue asynchronously.</summary>
    void OnRequest(ServerTransaction transaction);

    /// <summary>An ACK that belongs to no server transaction (the ACK for a 2xx, §17.1.1.3).</summary>
    void OnAck(SipMessage ack, SipEndPoint source);

    /// <summary>A response that matched no client transaction (e.g. a 2xx retransmitted after the transaction ended).</summary>
    void OnStrayResponse(SipMessage response, SipEndPoint source);
}
