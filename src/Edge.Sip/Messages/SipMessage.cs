using System.Net;
using System.Runtime.CompilerServices;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// A SIP request or response (RFC 3261 §7).
/// </summary>
/// <remarks>
/// <para>
/// The parser checks every header the edge relies on (Request-URI, Via, From, To, Call-ID, CSeq, Max-Forwards,
/// Content-Length) but builds none of the structured ones. The numbers and the methods are read into fields. The
/// Request-URI, the Vias, From, To, Call-ID and the reason phrase are built from the received bytes the first time
/// someone reads them, and then kept. A message absorbed as a retransmission, or one only passed along, costs two
/// objects: this one and its header table.
/// </para>
/// <para>
/// Every header, known or not, stays in <see cref="Headers"/> in the order received, so it can be forwarded
/// unchanged. The buffer the message was parsed from must stay unchanged for the message's lifetime.
/// </para>
/// </remarks>
public sealed class SipMessage
{
    private readonly SipHeader[] headers;
    private readonly int headerCount;
    private readonly ReadOnlyMemory<byte> requestUriBytes;
    private readonly ReadOnlyMemory<byte> reasonBytes;
    private SipUri? requestUri;
    private List<ViaHeader>? vias;
    private IPEndPoint? receivedFrom;
    private NameAddress? from;
    private NameAddress? to;
    private string? callId;
    private string? reasonPhrase;

    internal SipMessage(in SipParser.StartLine start, SipHeader[] headers, int headerCount, ReadOnlyMemory<byte> body, long cseq, string cseqMethod, int? maxForwards)
    {
        IsRequest = start.IsRequest;
        Method = start.Method;
        requestUriBytes = start.RequestUri;
        UnsupportedVersion = start.UnsupportedVersion;
        StatusCode = start.StatusCode;
        reasonBytes = start.Reason;
        this.headers = headers;
        this.headerCount = headerCount;
        Body = body;
        CSeq = cseq;
        CSeqMethod = cseqMethod;
        MaxForwards = maxForwards;
    }

    public bool IsRequest { get; }

    /// <summary>The request method (upper case as received; methods are case-sensitive, §7.1).</summary>
    public string Method { get; }

    /// <summary>The Request-URI; null for a response, or for a request refused because its URI is malformed.</summary>
    public SipUri? RequestUri => IsRequest ? requestUri ??= BuildRequestUri() : null;

    public int StatusCode { get; }

    public string ReasonPhrase => reasonPhrase ??= reasonBytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(reasonBytes.Span);

    /// <summary>Every header line in the order received (folded lines unfolded, compact names expanded).</summary>
    public ReadOnlySpan<SipHeader> Headers => headers.AsSpan(0, headerCount);

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>All Via values, topmost first. A server replaces the top one with its received/rport form (§18.2.1).</summary>
    public List<ViaHeader> Vias
    {
        get
        {
            var list = Volatile.Read(ref vias);
            if (list is null)
            {
                list = BuildVias();
                MarkReceived(list);
                list = Interlocked.CompareExchange(ref vias, list, null) ?? list;
            }

            return list;
        }
    }

    /// <summary>
    /// Where the request came from, once the stack has noted it (<see cref="NoteReceivedFrom"/>): the top of
    /// <see cref="Vias"/> then carries received and rport (§18.2.1, RFC 3581), and a response copies the Via with them.
    /// </summary>
    internal IPEndPoint? ReceivedFrom => receivedFrom;

    /// <summary>How long the message waited in the kernel's receive queue before the stack took it (zero when unknown).</summary>
    public TimeSpan Queued { get; internal set; }

    /// <summary>
    /// Notes the request's source for its responses without building its Vias: they are built with received and
    /// rport when first read, and a response to a plain top Via writes them straight from the received bytes.
    /// </summary>
    internal void NoteReceivedFrom(IPEndPoint source)
    {
        receivedFrom = source;
        if (Volatile.Read(ref vias) is { } built)
        {
            MarkReceived(built);
        }
    }

    /// <summary>The top Via in its received/rport form, once the source is noted.</summary>
    private void MarkReceived(List<ViaHeader> list)
    {
        if (receivedFrom is { } from && list.Count > 0)
        {
            list[0] = list[0].WithReceived(from.Address.ToString(), from.Port);
        }
    }

    public ViaHeader? TopVia => Vias.Count > 0 ? Vias[0] : null;

    public NameAddress? From => from ??= BuildAddress(SipHeaderNames.From);

    public NameAddress? To => to ??= BuildAddress(SipHeaderNames.To);

    public string CallId => callId ??= First(SipHeaderNames.CallId) is { } index ? Encoding.UTF8.GetString(headers[index].RawValue.Span) : string.Empty;

    public long CSeq { get; }

    public string CSeqMethod { get; }

    public int? MaxForwards { get; }

    /// <summary>The request line named a SIP version other than 2.0 (answered 505).</summary>
    internal bool UnsupportedVersion { get; }

    /// <summary>For responses: the method of the request they answer (from CSeq).</summary>
    public string TransactionMethod => IsRequest ? Method : CSeqMethod;

    public string? Header(string name) => First(name) is { } index ? headers[index].Value : null;

    /// <summary>The first header line with this name; <c>default</c> (null name) when there is none.</summary>
    public SipHeader HeaderLine(string name) => First(name) is { } index ? headers[index] : default;

    /// <summary>Every header line with this name, in the order received.</summary>
    public IEnumerable<SipHeader> HeaderLines(string name)
    {
        for (var i = 0; i < headerCount; i++)
        {
            if (headers[i].Is(name))
            {
                yield return headers[i];
            }
        }
    }

    /// <summary>Every value of a header, with comma-separated lists split (§7.3.1).</summary>
    public IEnumerable<string> HeaderValues(string name)
    {
        foreach (var header in HeaderLines(name))
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

    /// <summary>The first address of the first line of <paramref name="name"/> that parses: <c>Addresses(name).FirstOrDefault()</c> without the list.</summary>
    public NameAddress? FirstAddress(string name)
    {
        for (var i = 0; i < headerCount; i++)
        {
            if (!headers[i].Is(name))
            {
                continue;
            }

            foreach (var part in NameAddress.SplitUnquoted(headers[i].Value, ','))
            {
                if (part.AsSpan().Trim() is { Length: > 0 } && NameAddress.Parse(part.Trim(), out _) is { } address)
                {
                    return address;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The URI of the first address in a header (a Contact: a dialog's remote target) as text. Read in place when the
    /// header is plain (no quoting; the URI in angle brackets, or alone before its parameters) and the URI passes the
    /// parser's checks; otherwise taken from <see cref="FirstAddress"/>. Null when there is none.
    /// </summary>
    [SkipLocalsInit] // the stack buffer is written by the decoder before it is read
    public string? FirstAddressUriText(string name)
    {
        if (First(name) is not { } index)
        {
            return null;
        }

        var value = headers[index].RawValue.Span.Trim(" \t"u8);
        if (value.IndexOf((byte)'"') < 0)
        {
            ReadOnlySpan<byte> uri = default;
            var open = value.IndexOf((byte)'<');
            var comma = value.IndexOf((byte)',');
            if (open >= 0 && (comma < 0 || open < comma))
            {
                var close = value[open..].IndexOf((byte)'>');
                uri = close > 1 ? value.Slice(open + 1, close - 1) : default;
            }
            else if (open < 0)
            {
                // Without angle brackets the URI has no ';' or ',' of its own (§20): they start parameters or the next address.
                var end = value.IndexOfAny(";,"u8);
                uri = end < 0 ? value : value[..end];
            }

            if (!uri.IsEmpty && uri.IndexOfAny(" \t<>"u8) < 0)
            {
                Span<char> stack = stackalloc char[Utf8Chars.StackSize];
                using var text = new Utf8Chars(uri, stack);
                if (SipUri.Check(text.Chars, out _))
                {
                    return new string(text.Chars);
                }
            }
        }

        return FirstAddress(name)?.Uri.ToString();
    }

    /// <summary>Whether a token list header (Require, Supported…) names <paramref name="token"/>, case-insensitively, read in place.</summary>
    public bool HasToken(string name, string token)
    {
        for (var i = 0; i < headerCount; i++)
        {
            if (!headers[i].Is(name))
            {
                continue;
            }

            foreach (var range in headers[i].RawValue.Span.Split((byte)','))
            {
                if (System.Text.Ascii.EqualsIgnoreCase(headers[i].RawValue.Span[range].Trim(" \t"u8), token))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public bool HasHeader(string name) => First(name) is not null;

    public override string ToString() => IsRequest ? $"{Method} {RequestUri} (Call-ID {CallId})" : $"{StatusCode} {ReasonPhrase} {CSeqMethod} (Call-ID {CallId})";

    private int? First(string name)
    {
        for (var i = 0; i < headerCount; i++)
        {
            // Known names are the interned canonical strings, so the reference test settles almost every comparison.
            if ((object)headers[i].Name == name || headers[i].Is(name))
            {
                return i;
            }
        }

        return null;
    }

    [SkipLocalsInit] // the stack buffer is written by the decoder before it is read
    private SipUri? BuildRequestUri()
    {
        Span<char> stack = stackalloc char[Utf8Chars.StackSize];
        using var text = new Utf8Chars(requestUriBytes.Span, stack);
        return SipUri.Parse(text.Chars, out _);
    }

    /// <summary>
    /// The top Via read in place from the received bytes, without building any Via (the transaction key of nearly
    /// every message, where its responses go); false when there is no Via or it is not a plain one
    /// (<see cref="ViaHeader.TryReadPlain"/>), and then <see cref="TopVia"/> gives it.
    /// </summary>
    internal bool TryReadTopVia(out PlainVia via)
    {
        for (var i = 0; i < headerCount; i++)
        {
            if ((object)headers[i].Name == SipHeaderNames.Via)
            {
                return ViaHeader.TryReadPlain(headers[i].RawValue.Span, out via);
            }
        }

        via = default;
        return false;
    }

    /// <summary>
    /// The To tag read in place from the received bytes: true when the To is plain (no quoting, no whitespace among
    /// its parameters, every parameter named with a value), with <paramref name="tag"/> empty when it has no tag;
    /// false otherwise, and then <see cref="To"/> gives it. An ACK or a BYE is routed by this without building its To.
    /// </summary>
    internal bool TryReadToTag(out ReadOnlySpan<byte> tag)
    {
        tag = default;
        if (First(SipHeaderNames.To) is not { } index)
        {
            return false;
        }

        var value = headers[index].RawValue.Span.TrimEnd(" \t"u8);
        if (value.IndexOf((byte)'"') >= 0)
        {
            return false;
        }

        int parametersAt;
        var open = value.IndexOf((byte)'<');
        if (open >= 0)
        {
            parametersAt = value.IndexOf((byte)'>') + 1;
            if (parametersAt <= open)
            {
                return false;
            }
        }
        else
        {
            // Without angle brackets the URI has no ';' of its own (§20): the first one starts the header's parameters.
            parametersAt = value.IndexOf((byte)';');
            if (parametersAt < 0)
            {
                return true;
            }
        }

        var rest = value[parametersAt..];
        while (!rest.IsEmpty)
        {
            if (rest[0] != (byte)';')
            {
                return false;
            }

            rest = rest[1..];
            var stop = rest.IndexOf((byte)';');
            var parameter = stop < 0 ? rest : rest[..stop];
            var eq = parameter.IndexOf((byte)'=');
            if (eq <= 0 || eq == parameter.Length - 1 || parameter.IndexOfAny(" \t"u8) >= 0)
            {
                return false;
            }

            if (eq == 3 && System.Text.Ascii.EqualsIgnoreCase(parameter[..3], "tag"u8))
            {
                tag = parameter[4..];
                return true;
            }

            rest = stop < 0 ? default : rest[stop..];
        }

        return true;
    }

    /// <summary>Whether the To carries a tag (read in place when plain).</summary>
    internal bool HasToTag => TryReadToTag(out var tag) ? !tag.IsEmpty : To?.Tag is not null;

    /// <summary>The Call-ID's bytes as received.</summary>
    internal ReadOnlySpan<byte> CallIdBytes => First(SipHeaderNames.CallId) is { } index ? headers[index].RawValue.Span : default;

    /// <summary>Every Via value of every Via line; on a malformed one (a refused request) the ones before it.</summary>
    [SkipLocalsInit] // the stack buffer is written by the decoder before it is read
    private List<ViaHeader> BuildVias()
    {
        var list = new List<ViaHeader>(2);
        Span<char> stack = stackalloc char[Utf8Chars.StackSize];
        for (var i = 0; i < headerCount; i++)
        {
            if ((object)headers[i].Name != SipHeaderNames.Via)
            {
                continue;
            }

            using var text = new Utf8Chars(headers[i].RawValue.Span, stack);
            if (!ViaHeader.TryParseList(text.Chars, list, out _))
            {
                return list;
            }
        }

        return list;
    }

    [SkipLocalsInit] // the stack buffer is written by the decoder before it is read
    private NameAddress? BuildAddress(string name)
    {
        if (First(name) is not { } index)
        {
            return null;
        }

        Span<char> stack = stackalloc char[Utf8Chars.StackSize];
        using var text = new Utf8Chars(headers[index].RawValue.Span, stack);
        return NameAddress.Parse(text.Chars, out _);
    }
}
