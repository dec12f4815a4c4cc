using System.Collections.Concurrent;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>Canonical header names and the compact forms of RFC 3261 §7.3.3 (and RFC 3515, 3841, 4028, 3265).</summary>
public static class SipHeaderNames
{
    public const string Via = "Via";
    public const string From = "From";
    public const string To = "To";
    public const string CallId = "Call-ID";
    public const string CSeq = "CSeq";
    public const string Contact = "Contact";
    public const string MaxForwards = "Max-Forwards";
    public const string ContentLength = "Content-Length";
    public const string ContentType = "Content-Type";
    public const string Route = "Route";
    public const string RecordRoute = "Record-Route";
    public const string Allow = "Allow";
    public const string Supported = "Supported";
    public const string Require = "Require";
    public const string Expires = "Expires";
    public const string Authorization = "Authorization";
    public const string WwwAuthenticate = "WWW-Authenticate";
    public const string PAssertedIdentity = "P-Asserted-Identity";
    public const string SessionExpires = "Session-Expires";
    public const string MinSe = "Min-SE";
    public const string RetryAfter = "Retry-After";
    public const string Reason = "Reason";
    public const string Warning = "Warning";
    public const string UserAgent = "User-Agent";
    public const string Server = "Server";
    public const string Unsupported = "Unsupported";
    public const string ContentEncoding = "Content-Encoding";
    public const string Subject = "Subject";
    public const string Event = "Event";
    public const string ReferTo = "Refer-To";
    public const string ReferredBy = "Referred-By";
    public const string AcceptContact = "Accept-Contact";
    public const string RejectContact = "Reject-Contact";
    public const string RequestDisposition = "Request-Disposition";

    private static readonly string[] Known =
    [
        Via, From, To, CallId, CSeq, Contact, MaxForwards, ContentLength, ContentType, Route, RecordRoute, Allow, Supported,
        Require, Expires, Authorization, WwwAuthenticate, PAssertedIdentity, SessionExpires, MinSe, RetryAfter, Reason, Warning,
        UserAgent, Server, Unsupported, ContentEncoding, Subject, Event, ReferTo, ReferredBy, AcceptContact, RejectContact, RequestDisposition,
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Call-Info", "Content-Disposition", "Content-Language", "Date",
        "Error-Info", "In-Reply-To", "Min-Expires", "MIME-Version", "Organization", "Priority", "Proxy-Authenticate", "Proxy-Authorization",
        "Proxy-Require", "Reply-To", "Timestamp", "Authentication-Info", "RAck", "RSeq", "Privacy", "Path", "Service-Route",
        "P-Preferred-Identity", "Diversion", "Remote-Party-ID", "Allow-Events", "Subscription-State",
    ];

    /// <summary>
    /// The canonical spelling for a header name given in any case or in compact form, without allocating for known
    /// names; null for an unknown name (the caller keeps the name as received).
    /// </summary>
    public static string? Canonical(ReadOnlySpan<byte> name)
    {
        if (name.Length == 1)
        {
            return (char)(name[0] | 0x20) switch
            {
                'v' => Via,
                'f' => From,
                't' => To,
                'i' => CallId,
                'm' => Contact,
                'l' => ContentLength,
                'c' => ContentType,
                'e' => ContentEncoding,
                's' => Subject,
                'k' => Supported,
                'o' => Event,
                'u' => "Allow-Events",
                'r' => ReferTo,
                'b' => ReferredBy,
                'a' => AcceptContact,
                'j' => RejectContact,
                'd' => RequestDisposition,
                'x' => SessionExpires,
                'y' => "Identity",
                _ => null,
            };
        }

        if (name.Length == 0)
        {
            return null;
        }

        // Senders nearly always spell names canonically, so one exact comparison settles most lookups; the slot is
        // chosen by length and the first and last letters, case-folded.
        var slot = Slots[Slot(name)];
        foreach (var index in slot)
        {
            if (name.SequenceEqual(KnownBytes[index]))
            {
                return Known[index];
            }
        }

        foreach (var index in slot)
        {
            if (EqualsIgnoreCase(name, Known[index]))
            {
                return Known[index];
            }
        }

        return null;
    }

    private static int Slot(ReadOnlySpan<byte> name) => ((name.Length * 31) + ((name[0] | 0x20) * 7) + (name[^1] | 0x20)) & 255;

    private static readonly byte[][] KnownBytes = Known.Select(Encoding.ASCII.GetBytes).ToArray();

    private static readonly int[][] Slots = Enumerable.Range(0, 256)
        .Select(slot => Enumerable.Range(0, Known.Length).Where(i => Slot(KnownBytes[i]) == slot).ToArray())
        .ToArray();

    /// <summary>
    /// An unknown header name as received (a token, so ASCII), made once: the names a carrier sends repeat on every
    /// message. At most <see cref="RememberedNames"/> spellings are kept, so a sender inventing names cannot grow the
    /// table; beyond that each one is a new string.
    /// </summary>
    public static string AsReceived(ReadOnlySpan<byte> name)
    {
        if (name.Length > 64)
        {
            return Encoding.ASCII.GetString(name);
        }

        Span<char> chars = stackalloc char[64];
        chars = chars[..Encoding.ASCII.GetChars(name, chars)];
        if (SeenLookup.TryGetValue(chars, out var seen))
        {
            return seen;
        }

        var made = new string(chars);
        if (Volatile.Read(ref seenCount) < RememberedNames && Seen.TryAdd(made, made))
        {
            Interlocked.Increment(ref seenCount);
        }

        return made;
    }

    public const int RememberedNames = 1024;

    private static readonly ConcurrentDictionary<string, string> Seen = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> SeenLookup = Seen.GetAlternateLookup<ReadOnlySpan<char>>();
    private static int seenCount;

    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> bytes, string ascii)
    {
        if (bytes.Length != ascii.Length)
        {
            return false;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if ((bytes[i] | 0x20) != (ascii[i] | 0x20))
            {
                return false;
            }
        }

        return true;
    }
}
