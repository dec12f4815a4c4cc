using System.Collections.Concurrent;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Tests.Transactions;

/// <summary>Records what a client transaction tells its user.</summary>
internal sealed class RecordingUser : IClientTransactionUser
{
    public ConcurrentQueue<int> Finals { get; } = new();

    public ConcurrentQueue<int> Provisionals { get; } = new();

    public void OnProvisional(ClientTransaction transaction, SipMessage response) => Provisionals.Enqueue(response.StatusCode);

    public void OnFinal(ClientTransaction transaction, SipMessage response) => Finals.Enqueue(response.StatusCode);

    public void OnTransactionFailed(ClientTransaction transaction, int statusCode, string reason) => Finals.Enqueue(statusCode);

    public void OnRetransmitted2xx(ClientTransaction transaction, SipMessage response)
    {
    }
}
