using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>The application side of a client transaction (the transaction user, §17).</summary>
public interface IClientTransactionUser
{
    void OnProvisional(ClientTransaction transaction, SipMessage response);

    void OnFinal(ClientTransaction transaction, SipMessage response);

    /// <summary>No response in time (408) or the transport failed (503): treat as that final response.</summary>
    void OnTransactionFailed(ClientTransaction transaction, int statusCode, string reason);

    /// <summary>A retransmitted 2xx to an INVITE: the dialog re-sends its ACK (§13.2.2.4).</summary>
    void OnRetransmitted2xx(ClientTransaction transaction, SipMessage response);
}
