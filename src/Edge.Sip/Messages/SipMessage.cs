namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// A SIP request or response (RFC 3261 §7). The headers the edge works with are parsed into typed properties;
/// every header, known or not, stays in <see cref="Headers"/> in the order received so it can be forwarded unchanged.
/// </summary>
public sealed class SipMessage
{
    public bool IsRequest { get; init; }

    /// <summary>The request method (upper case as received; methods are case-sensitive, §7.1).</summary>
    public string Method { get; init; } = string.Empty;

    public SipUri? RequestUri { get; init; }

    public int StatusCode { get; init; }

    public string ReasonPhrase { get; init; } = string.Empty;

    public List<SipHeader> Headers { get; init; } = [];

    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>All Via values, topmost first.</summary>
    public List<ViaHeader> Vias { get; init; } = [];

    public ViaHeader? TopVia => Vias.Count > 0 ? Vias[0] : null;

    public NameAddress? From { get; init; }

    public NameAddress? To { get; init; }

    public string CallId { get; init; } = string.Empty;

    public long CSeq { get; init; }

    public string CSeqMethod { get; init; } = string.Empty;

    public int? MaxForwards { get; init; }

    /// <summary>The Request-URI as received (kept to tell a malformed URI from an unsupported scheme).</summary>
    internal string? RequestUriTextForValidation { get; init; }

    /// <summary>The request line named a SIP version other than 2.0 (answered 505).</summary>
    internal bool UnsupportedVersion { get; init; }

    /// <summary>For responses: the method of the request they answer (from CSeq).</summary>
    public string TransactionMethod => IsRequest ? Method : CSeqMethod;

    public string? Header(string name)
    {
        foreach (var header in Headers)
        {
            if (header.Is(name))
            {
                return header.Value;
            }
        }

        return null;
    }

    /// <summary>Every value of a header, with comma-separated lists split (§7.3.1).</summary>
    public IEnumerable<string> HeaderValues(string name)
    {
        foreach (var header in Headers)
        {
            if (header.Is(name))
            {
                foreach (var part in NameAddress.SplitUnquoted(header.Value, ','))
                {
                    var trimmed = part.Trim();
                    if (trimmed.Length > 0)
                    {
                        yield return trimmed;
                    }
                }
            }
        }
    }

    /// <summary>Contact, Route, Record-Route and other address lists parsed; malformed entries are skipped.</summary>
    public List<NameAddress> Addresses(string name)
    {
        var list = new List<NameAddress>();
        foreach (var value in HeaderValues(name))
        {
            if (NameAddress.Parse(value, out _) is { } address)
            {
                list.Add(address);
            }
        }

        return list;
    }

    public bool HasHeader(string name) => Headers.Exists(h => h.Is(name));

    public override string ToString() => IsRequest ? $"{Method} {RequestUri} (Call-ID {CallId})" : $"{StatusCode} {ReasonPhrase} {CSeqMethod} (Call-ID {CallId})";
}
