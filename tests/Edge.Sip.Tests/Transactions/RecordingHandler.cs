using System.Collections.Concurrent;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Tests.Transactions;

/// <summary>Records the requests the stack hands to the application, optionally answering them.</summary>
internal sealed class RecordingHandler(Action<ServerTransaction>? onRequest = null) : ISipRequestHandler
{
    public ConcurrentQueue<ServerTransaction> Requests { get; } = new();

    public void OnRequest(ServerTransaction transaction)
    {
        Requests.Enqueue(transaction);
        onRequest?.Invoke(transaction);
    }

    public void OnAck(SipMessage ack, SipEndPoint source)
    {
    }

    public void OnStrayResponse(SipMessage response, SipEndPoint source)
    {
    }
}
