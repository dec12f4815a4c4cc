using System.Collections.Concurrent;
using System.Text;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Tests.Interop;

/// <summary>
/// The smallest user agent on the stack that completes a call: INVITE → 180, 200 with SDP; the ACK for the 2xx
/// reaches <see cref="OnAck"/>; BYE → 200. OPTIONS and anything else go to the stack's <see cref="OptionsResponder"/>.
/// </summary>
internal sealed class MinimalUserAgent : ISipRequestHandler
{
    private static readonly byte[] Sdp = Encoding.ASCII.GetBytes(
        "v=0\r\no=edge 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n");

    private readonly OptionsResponder fallback = new();

    public ConcurrentQueue<string> Seen { get; } = new();

    public void OnRequest(ServerTransaction transaction)
    {
        var request = transaction.Request;
        Seen.Enqueue(request.Method);
        switch (request.Method)
        {
            case "INVITE":
                var tag = SipStack.NewTag();
                _ = AnswerAsync(transaction, tag);
                break;
            case "BYE":
                _ = transaction.RespondAsync(200, "OK");
                break;
            default:
                fallback.OnRequest(transaction);
                break;
        }
    }

    private static async Task AnswerAsync(ServerTransaction transaction, string tag)
    {
        await transaction.RespondAsync(180, "Ringing", tag);
        var ok = transaction.CreateResponse(200, "OK", tag)
            .Add(SipHeaderNames.Contact, "<sip:ua@127.0.0.1>")
            .WithBody(Sdp, "application/sdp");
        await transaction.SendAsync(ok.ToArray(), 200);
    }

    public void OnAck(SipMessage ack, SipEndPoint source) => Seen.Enqueue("ACK");

    public void OnStrayResponse(SipMessage response, SipEndPoint source)
    {
    }
}
