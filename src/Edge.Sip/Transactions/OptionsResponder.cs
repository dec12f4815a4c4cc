using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// The stack's answer when no application handles a request: OPTIONS (carriers' keep-alive) gets 200 with Allow,
/// anything else 501. The B2BUA delegates OPTIONS here too.
/// </summary>
public sealed class OptionsResponder : ISipRequestHandler
{
    public const string Allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, UPDATE, INFO";

    public void OnRequest(ServerTransaction transaction)
    {
        if (transaction.Request.Method == "OPTIONS")
        {
            var response = transaction.CreateResponse(200, "OK", SipStack.NewTag())
                .Add(SipHeaderNames.Allow, Allow)
                .Add("Accept", "application/sdp")
                .Add(SipHeaderNames.Supported, "timer");
            _ = transaction.SendAsync(response.ToArray(), 200);
            return;
        }

        _ = transaction.SendAsync(transaction.CreateResponse(501, "Not Implemented", SipStack.NewTag()).Add(SipHeaderNames.Allow, Allow).ToArray(), 501);
    }

    public void OnAck(SipMessage ack, SipEndPoint source)
    {
    }

    public void OnStrayResponse(SipMessage response, SipEndPoint source)
    {
    }
}
