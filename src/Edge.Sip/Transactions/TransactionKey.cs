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
        var method = KeyMethod(request.Method);
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

    public static string ForClient(string branch, string method) => string.Concat("c|", branch, "|", KeyMethod(method));

    public static string ForResponse(SipMessage response) => ForClient(response.TopVia?.Branch ?? string.Empty, response.CSeqMethod);

    /// <summary>Room for a key written in place: a branch and a sent-by of any length seen in practice.</summary>
    internal const int MaxWrittenLength = 256;

    /// <summary>
    /// <see cref="ForServer"/>'s key written into <paramref name="destination"/> from the received bytes, without
    /// building the Via or a string; false (the caller uses <see cref="ForServer"/>) unless the top Via is plain and
    /// has an RFC 3261 branch, and the key fits.
    /// </summary>
    internal static bool TryWriteServer(SipMessage request, Span<char> destination, out int written)
    {
        written = 0;
        return request.TryReadTopVia(out PlainVia via) && via.Branch.StartsWith(ViaHeader.MagicCookieBytes)
            && TryWrite(destination, 's', via.Branch, via.SentBy, KeyMethod(request.Method), out written);
    }

    /// <summary><see cref="ForResponse"/>'s key written in place, as <see cref="TryWriteServer"/> does.</summary>
    internal static bool TryWriteResponse(SipMessage response, Span<char> destination, out int written)
    {
        written = 0;
        return response.TryReadTopVia(out PlainVia via)
            && TryWrite(destination, 'c', via.Branch, default, KeyMethod(response.CSeqMethod), out written);
    }

    /// <summary>An ACK belongs to its INVITE's transaction (§17.2.3): keys name INVITE for both.</summary>
    private static string KeyMethod(string method) => method is "ACK" ? "INVITE" : method;

    private static bool TryWrite(Span<char> destination, char side, ReadOnlySpan<byte> branch, ReadOnlySpan<byte> sentBy, string method, out int written)
    {
        written = 0;
        var length = 2 + branch.Length + 1 + (sentBy.IsEmpty ? 0 : sentBy.Length + 1) + method.Length;
        if (length > destination.Length)
        {
            return false;
        }

        destination[0] = side;
        destination[1] = '|';
        var at = 2;
        if (System.Text.Ascii.ToUtf16(branch, destination[at..], out var n) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        at += n;
        destination[at++] = '|';
        if (!sentBy.IsEmpty)
        {
            if (System.Text.Ascii.ToUtf16(sentBy, destination[at..], out n) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            at += n;
            destination[at++] = '|';
        }

        method.CopyTo(destination[at..]);
        written = at + method.Length;
        return true;
    }
}
