using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>One Via value (RFC 3261 §20.42, §18.2.1; RFC 3581 <c>rport</c>). Immutable: its sent-by and its text
/// are made once, on first use (a request's top Via is written into each of its responses).</summary>
public sealed class ViaHeader
{
    private string? sentBy;
    private string? text;

    /// <summary>The RFC 3261 branch prefix that marks a globally unique branch (§8.1.1.7).</summary>
    public const string MagicCookie = "z9hG4bK";

    /// <summary><see cref="MagicCookie"/> as bytes, for branches read in place.</summary>
    internal static ReadOnlySpan<byte> MagicCookieBytes => "z9hG4bK"u8;

    public required string Transport { get; init; }

    public required string Host { get; init; }

    public int? Port { get; init; }

    public IReadOnlyList<KeyValuePair<string, string?>> Parameters { get; init; } = [];

    public string? Branch => Parameter("branch");

    public string? Received => Parameter("received");

    /// <summary>The rport value: null when absent, empty when present without a value.</summary>
    public string? RPort => Parameter("rport");

    public bool IsRfc3261Branch => Branch is { } b && b.StartsWith(MagicCookie, StringComparison.Ordinal);

    public string SentBy => sentBy ??= Port is { } p ? $"{HostForUri}:{p.ToString(CultureInfo.InvariantCulture)}" : HostForUri;

    private string HostForUri => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;

    public string? Parameter(string name)
    {
        foreach (var (key, value) in Parameters)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value ?? string.Empty;
            }
        }

        return null;
    }

    public static ViaHeader? Parse(string text, out string? error) => Parse(text.AsSpan(), out error);

    internal static ViaHeader? Parse(ReadOnlySpan<char> text, out string? error) => TryParse(text, build: true, out var via, out error) ? via : null;

    /// <summary>
    /// One Via header value: one or more vias separated by commas (§7.3.1). With <paramref name="into"/> each is
    /// built and added, up to a malformed one; without, they are only checked (the parser's validation).
    /// </summary>
    internal static bool TryParseList(ReadOnlySpan<char> text, List<ViaHeader>? into, out string? error)
    {
        while (true)
        {
            var comma = NameAddress.IndexOfUnquotedSeparator(text, ',');
            if (!TryParse(comma < 0 ? text : text[..comma], build: into is not null, out var via, out error))
            {
                return false;
            }

            into?.Add(via!);
            if (comma < 0)
            {
                return true;
            }

            text = text[(comma + 1)..];
        }
    }

    private static readonly SearchValues<byte> NotInTransport = SearchValues.Create(";,/"u8);
    private static readonly SearchValues<byte> NotInPlainParameter = SearchValues.Create(" \t\""u8);
    private static readonly SearchValues<byte> Ipv6Chars = SearchValues.Create("0123456789abcdefABCDEF:."u8);
    private static readonly SearchValues<byte> HostChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"u8);

    /// <summary>
    /// Reads the first Via of a Via line in place: sent-by, branch, rport as received, and where that Via ends. Only a
    /// plain Via is read (<c>SIP/2.0/transport</c>, one space or tab, a host or bracketed address with an optional port
    /// without leading zeros, parameters without spaces or quotes); for anything else it returns false and the caller
    /// parses the Via, which gives the same sent-by and branch for a plain one (<see cref="SentBy"/>, <see cref="Branch"/>).
    /// </summary>
    internal static bool TryReadPlain(ReadOnlySpan<byte> value, out PlainVia via)
    {
        via = default;
        var s = value.TrimStart(" \t"u8);
        if (s.Length < 9 || !System.Text.Ascii.EqualsIgnoreCase(s[..8], "SIP/2.0/"u8))
        {
            return false;
        }

        s = s[8..];
        var space = s.IndexOfAny(" \t"u8);
        if (space <= 0 || s[..space].IndexOfAny(NotInTransport) >= 0)
        {
            return false;
        }

        s = s[(space + 1)..];
        var end = s.IndexOfAny(";, \t"u8);
        via.SentBy = end < 0 ? s : s[..end];
        if (!IsPlainSentBy(via.SentBy, out via.Host, out via.Port))
        {
            return false;
        }

        s = end < 0 ? default : s[end..];
        via.HeadLength = value.Length - s.Length;
        var branchSeen = false;
        while (s.Length > 0 && s[0] == (byte)';')
        {
            s = s[1..];
            var stop = s.IndexOfAny(";,"u8);
            var parameter = stop < 0 ? s : s[..stop];
            if (parameter.IsEmpty || parameter.IndexOfAny(NotInPlainParameter) >= 0)
            {
                return false;
            }

            var eq = parameter.IndexOf((byte)'=');
            var name = eq < 0 ? parameter : parameter[..eq];
            if (!branchSeen && System.Text.Ascii.EqualsIgnoreCase(name, "branch"u8))
            {
                // The first branch counts, as for the parsed Via; one without a value is left to the parser.
                branchSeen = true;
                via.Branch = eq < 0 ? default : parameter[(eq + 1)..];
            }
            else if (!via.HasRPort && System.Text.Ascii.EqualsIgnoreCase(name, "rport"u8))
            {
                via.HasRPort = true;
                via.RPort = eq < 0 ? default : parameter[(eq + 1)..];
            }

            s = stop < 0 ? default : s[stop..];
        }

        // What follows the parameters is nothing, or the comma before the next Via.
        via.Length = value.Length - s.Length;
        return (s.IsEmpty || s[0] == (byte)',') && !via.Branch.IsEmpty && System.Text.Ascii.IsValid(via.Branch);
    }

    /// <summary>
    /// Writes a Via line whose first Via is plain with that Via's <c>received</c> and <c>rport</c> filled in as
    /// <see cref="WithReceived"/> does (§18.2.1, RFC 3581 §4), straight from the received bytes; the rest of the line
    /// (further Vias after a comma) is copied unchanged. False, with nothing written, when the first Via is not plain.
    /// </summary>
    internal static bool TryWriteWithReceived(ReadOnlySpan<byte> line, IPEndPoint source, IBufferWriter<byte> output)
    {
        if (!TryReadPlain(line, out PlainVia via))
        {
            return false;
        }

        output.Write(line[..via.HeadLength]);
        var s = line[via.HeadLength..via.Length];
        while (s.Length > 0)
        {
            var stop = s[1..].IndexOf((byte)';');
            var parameter = stop < 0 ? s : s[..(stop + 1)]; // with its ';'
            var eq = parameter.IndexOf((byte)'=');
            var name = eq < 0 ? parameter[1..] : parameter[1..eq];
            if (System.Text.Ascii.EqualsIgnoreCase(name, "rport"u8) && eq < 0)
            {
                output.Write(";rport="u8);
                WriteNumber(output, source.Port);
            }
            else if (!System.Text.Ascii.EqualsIgnoreCase(name, "received"u8))
            {
                output.Write(parameter);
            }

            s = s[parameter.Length..];
        }

        var address = source.Address.ToString();
        if (via.HasRPort || !System.Text.Ascii.EqualsIgnoreCase(via.Host, address))
        {
            output.Write(";received="u8);
            var span = output.GetSpan(address.Length);
            output.Advance(System.Text.Encoding.ASCII.GetBytes(address, span));
        }

        output.Write(line[via.Length..]);
        return true;
    }

    /// <summary>
    /// Where responses to a request with this plain top Via go over UDP, as <see cref="WithReceived"/> and §18.2.1
    /// with RFC 3581 give it: the source address, at the source port when rport was asked for, else the sent-by port.
    /// </summary>
    internal static int ResponsePort(in PlainVia via, int sourcePort) =>
        !via.HasRPort ? via.Port ?? 5060
        : via.RPort.IsEmpty ? sourcePort
        : System.Buffers.Text.Utf8Parser.TryParse(via.RPort, out int port, out var used) && used == via.RPort.Length ? port : via.Port ?? 5060;

    private static void WriteNumber(IBufferWriter<byte> output, int value)
    {
        var span = output.GetSpan(11);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private static bool IsPlainSentBy(ReadOnlySpan<byte> sentBy, out ReadOnlySpan<byte> host, out int? portNumber)
    {
        host = sentBy;
        portNumber = null;
        var port = ReadOnlySpan<byte>.Empty;
        if (sentBy.Length > 0 && sentBy[0] == (byte)'[')
        {
            var close = sentBy.IndexOf((byte)']');
            if (close < 3 || sentBy[1..close].IndexOfAnyExcept(Ipv6Chars) >= 0)
            {
                return false;
            }

            host = sentBy[1..close];
            port = sentBy[(close + 1)..];
            if (!port.IsEmpty && port[0] != (byte)':')
            {
                return false;
            }
        }
        else
        {
            var colon = sentBy.IndexOf((byte)':');
            if (colon >= 0)
            {
                host = sentBy[..colon];
                port = sentBy[colon..];
            }

            if (host.IsEmpty || host.IndexOfAnyExcept(HostChars) >= 0)
            {
                return false;
            }
        }

        if (port.IsEmpty)
        {
            return true;
        }

        // ":digits", 1..65535 as written by a number's own formatting (no leading zero).
        var digits = port[1..];
        if (digits.Length is > 0 and <= 5 && digits[0] != (byte)'0' && System.Buffers.Text.Utf8Parser.TryParse(digits, out int number, out var consumed)
            && consumed == digits.Length && number is >= 1 and <= 65535)
        {
            portNumber = number;
            return true;
        }

        return false;
    }

    private static bool TryParse(ReadOnlySpan<char> text, bool build, out ViaHeader? via, out string? error)
    {
        via = null;
        error = null;
        var s = text.Trim();
        // sent-protocol = protocol-name SLASH protocol-version SLASH transport, with optional LWS around the slashes
        ReadOnlySpan<char> protocol = default;
        ReadOnlySpan<char> version = default;
        ReadOnlySpan<char> transport = default;
        var i = 0;
        for (var k = 0; k < 3; k++)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            var start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] != '/')
            {
                i++;
            }

            var part = s[start..i];
            if (k == 0)
            {
                protocol = part;
            }
            else if (k == 1)
            {
                version = part;
            }
            else
            {
                transport = part;
            }

            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            if (k < 2)
            {
                if (i >= s.Length || s[i] != '/')
                {
                    error = "Via sent-protocol is malformed";
                    return false;
                }

                i++;
            }
        }

        if (!protocol.Equals("SIP", StringComparison.OrdinalIgnoreCase) || version is not "2.0" || transport.Length == 0)
        {
            error = "Via sent-protocol is not SIP/2.0/<transport>";
            return false;
        }

        var rest = s[i..].TrimStart();
        var semicolon = NameAddress.IndexOfUnquoted(rest, ';');
        var sentBy = (semicolon < 0 ? rest : rest[..semicolon]).Trim();
        var paramText = semicolon < 0 ? default : rest[semicolon..];

        // sent-by = host [ COLON port ] where COLON may carry spaces around it (§25.1): drop them before splitting.
        if (sentBy.Length is 0 or > 300)
        {
            error = "Via sent-by is malformed";
            return false;
        }

        Span<char> compact = stackalloc char[sentBy.Length];
        var length = 0;
        foreach (var c in sentBy)
        {
            if (c != ' ')
            {
                compact[length++] = c;
            }
        }

        if (!SipUri.TrySplitHostPort(compact[..length], build, out var host, out var port))
        {
            error = "Via sent-by is malformed";
            return false;
        }

        if (!NameAddress.TryParseParameters(paramText, build, out var parameters, out error))
        {
            return false;
        }

        if (build)
        {
            via = new ViaHeader { Transport = KnownTransport(transport) ?? transport.ToString().ToUpperInvariant(), Host = host, Port = port, Parameters = parameters };
        }

        return true;
    }

    private static string? KnownTransport(ReadOnlySpan<char> transport) =>
        transport.Equals("UDP", StringComparison.OrdinalIgnoreCase) ? "UDP"
        : transport.Equals("TCP", StringComparison.OrdinalIgnoreCase) ? "TCP"
        : transport.Equals("TLS", StringComparison.OrdinalIgnoreCase) ? "TLS"
        : null;

    /// <summary>A copy with <c>received</c> and <c>rport</c> filled in as a server does (§18.2.1, RFC 3581 §4).</summary>
    public ViaHeader WithReceived(string sourceAddress, int sourcePort)
    {
        var parameters = new List<KeyValuePair<string, string?>>(Parameters.Count + 1);
        var addReceived = !string.Equals(Host, sourceAddress, StringComparison.OrdinalIgnoreCase) || RPort is not null;
        foreach (var p in Parameters)
        {
            if (string.Equals(p.Key, "received", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (string.Equals(p.Key, "rport", StringComparison.OrdinalIgnoreCase) && string.IsNullOrEmpty(p.Value))
            {
                parameters.Add(new("rport", sourcePort.ToString(CultureInfo.InvariantCulture)));
                continue;
            }

            parameters.Add(p);
        }

        if (addReceived)
        {
            parameters.Add(new("received", sourceAddress));
        }

        return new ViaHeader { Transport = Transport, Host = Host, Port = Port, Parameters = parameters };
    }

    public override string ToString() => text ??= Format();

    private string Format()
    {
        var builder = new StringBuilder(96).Append("SIP/2.0/").Append(Transport).Append(' ').Append(SentBy);
        foreach (var (name, value) in Parameters)
        {
            builder.Append(';').Append(name);
            if (value is not null)
            {
                builder.Append('=').Append(value);
            }
        }

        return builder.ToString();
    }
}

/// <summary>A plain Via read in place from the received bytes (<see cref="ViaHeader.TryReadPlain(ReadOnlySpan{byte}, out PlainVia)"/>).</summary>
internal ref struct PlainVia
{
    /// <summary>host[:port] as received.</summary>
    public ReadOnlySpan<byte> SentBy;

    /// <summary>The host, without the brackets of an IPv6 reference.</summary>
    public ReadOnlySpan<byte> Host;

    public int? Port;

    public ReadOnlySpan<byte> Branch;

    public bool HasRPort;

    /// <summary>The rport value; empty when the parameter has none (the usual request).</summary>
    public ReadOnlySpan<byte> RPort;

    /// <summary>Bytes of the line before the first parameter's ';'.</summary>
    public int HeadLength;

    /// <summary>Bytes of the line up to the end of this Via (its comma, or the end of the line).</summary>
    public int Length;
}
