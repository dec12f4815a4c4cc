using Calltracking.Edge.Sip.Messages;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// How requests and responses find their transaction (§17.1.3, §17.2.3). With an RFC 3261 branch the key is branch,
/// sent-by and method (ACK is matched to its INVITE); for RFC 2543 peers it falls back to the Request-URI, tags,
/// Call-ID, CSeq and top Via.
/// </summary>
public static class TransactionKey
{
    public static string ForServer(SipMessage request)
    {
        var via = request.TopVia!;
        var method = request.Method is "ACK" ? "INVITE" : request.Method;
        if (via.IsRfc3261Branch)
        {
            return string.Concat("s|", via.Branch, "|", via.SentBy, "|", method);
        }

        // RFC 2543 fallback (§17.2.3): the To tag is left out so the ACK (which carries the tag) matches its INVITE.
        return string.Concat("s2543|", request.RequestUri?.ToString(), "|", request.From?.Tag, "|", request.CallId, "|",
            request.CSeq.ToString(System.Globalization.CultureInfo.InvariantCulture), "|", via.ToString(), "|", method);
    }

    /// <summary>The key of the INVITE a CANCEL cancels (§9.2): same branch and sent-by, method INVITE.</summary>
    public static string ForCancelledInvite(SipMessage cancel)
    {
        var via = cancel.TopVia!;
        return via.IsRfc3261Branch
            ? string.Concat("s|", via.Branch, "|", via.SentBy, "|INVITE")
            : string.Concat("s2543|", cancel.RequestUri?.ToString(), "|", cancel.From?.Tag, "|", cancel.CallId, "|",
                cancel.CSeq.ToString(System.Globalization.CultureInfo.InvariantCulture), "|", via.ToString(), "|INVITE");
    }

    public static string ForClient(string branch, string method) => string.Concat("c|", branch, "|", method is "ACK" ? "INVITE" : method);

    public static string ForResponse(SipMessage response) => ForClient(response.TopVia?.Branch ?? string.Empty, response.CSeqMethod);
}
