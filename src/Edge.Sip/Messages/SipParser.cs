using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// Parses one SIP message from bytes (RFC 3261 §7, §20, §25). It walks the buffer once, keeps header values as
/// slices of it, and makes strings only for what the edge keeps (method, URI, Call-ID, tags, branch, CSeq).
/// </summary>
public static class SipParser
{
    public const int DefaultMaxMessageSize = 65_535;

    private static ReadOnlySpan<byte> SipVersion => "SIP/2.0"u8;

    /// <summary>Parses a complete message; the buffer must stay unchanged for the message's lifetime.</summary>
    /// <param name="data">The message bytes (a datagram, or one frame cut from a stream).</param>
    /// <param name="datagram">True for UDP: a Content-Length beyond the datagram is an error (§18.3).</param>
    public static SipMessage? Parse(ReadOnlyMemory<byte> data, bool datagram, out SipParseError? error, int maxMessageSize = DefaultMaxMessageSize)
    {
        error = null;
        var span = data.Span;
        var offset = 0;
        while (offset + 1 < span.Length && span[offset] == '\r' && span[offset + 1] == '\n')
        {
            offset += 2;
        }

        if (span.Length - offset == 0)
        {
            error = new SipParseError(400, "Empty message", "start_line", null);
            return null;
        }

        var headerEnd = FindHeaderEnd(span[offset..], out var separatorLength);
        if (headerEnd < 0)
        {
            error = new SipParseError(400, "Missing empty line after headers", "header", null);
            return null;
        }

        headerEnd += offset;
        var bodyStart = headerEnd + separatorLength;
        var builder = new Builder();
        var lines = SplitLines(data[offset..headerEnd]);
        if (lines.Count == 0)
        {
            error = new SipParseError(400, "Empty message", "start_line", null);
            return null;
        }

        var startLineError = ParseStartLine(lines[0].Span, builder);
        var headerError = startLineError is null ? ParseHeaders(lines, builder) : null;

        // Content-Length framing (§18.3, §20.14)
        var available = span.Length - bodyStart;
        var bodyLength = available;
        string? framingError = null;
        if (builder.ContentLength is { } declared)
        {
            if (declared > available)
            {
                framingError = datagram ? "Content-Length larger than the datagram" : "Content-Length larger than the frame";
            }
            else
            {
                bodyLength = declared;
            }
        }

        var message = builder.Build(data.Slice(bodyStart, Math.Max(0, Math.Min(bodyLength, available))));
        if (startLineError is not null)
        {
            error = startLineError with { Partial = null };
            return null;
        }

        if (headerError is not null)
        {
            error = headerError with { Partial = message };
            return null;
        }

        if (framingError is not null)
        {
            // A UDP datagram that claims more body than it carries is truncated: drop it, nothing safe to answer (§18.3).
            error = new SipParseError(400, framingError, "content_length", datagram ? null : message);
            return null;
        }

        if (span.Length > maxMessageSize)
        {
            error = new SipParseError(513, "Message Too Large", "too_large", message);
            return null;
        }

        error = Validate(message);
        return error is null ? message : null;
    }

    /// <summary>For stream transports: the length of the first complete message in <paramref name="buffer"/>, 0 when more bytes are needed, -1 when it can never be framed.</summary>
    public static int FrameLength(ReadOnlySpan<byte> buffer, int maxMessageSize, out int leadingCrlf)
    {
        leadingCrlf = 0;
        while (leadingCrlf + 1 < buffer.Length && buffer[leadingCrlf] == '\r' && buffer[leadingCrlf + 1] == '\n')
        {
            leadingCrlf += 2;
        }

        var rest = buffer[leadingCrlf..];
        var headerEnd = FindHeaderEnd(rest, out var separatorLength);
        if (headerEnd < 0)
        {
            return rest.Length > maxMessageSize ? -1 : 0;
        }

        var contentLength = FindContentLength(rest[..headerEnd]);
        if (contentLength < 0)
        {
            return -1;
        }

        var total = headerEnd + separatorLength + contentLength;
        if (total > maxMessageSize)
        {
            return -1;
        }

        return rest.Length >= total ? total : 0;
    }

    private static int FindContentLength(ReadOnlySpan<byte> headers)
    {
        var found = 0;
        var start = 0;
        while (start < headers.Length)
        {
            var end = headers[start..].IndexOf((byte)'\n');
            var line = end < 0 ? headers[start..] : headers[start..(start + end)];
            start = end < 0 ? headers.Length : start + end + 1;
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].TrimEnd(" \t"u8);
            if (SipHeaderNames.EqualsIgnoreCase(name, "Content-Length") || SipHeaderNames.EqualsIgnoreCase(name, "l"))
            {
                var value = line[(colon + 1)..].Trim(" \t\r"u8);
                if (!Utf8Parser.TryParse(value, out int length, out var consumed) || consumed != value.Length || length < 0)
                {
                    return -1;
                }

                found = length;
            }
        }

        // Over a stream Content-Length is mandatory (§20.14); a message without it is read as having no body.
        return found;
    }

    private static int FindHeaderEnd(ReadOnlySpan<byte> span, out int separatorLength)
    {
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i] != '\n')
            {
                continue;
            }

            if (i + 1 < span.Length && span[i + 1] == '\n')
            {
                separatorLength = 2;
                return i;
            }

            if (i + 2 < span.Length && span[i + 1] == '\r' && span[i + 2] == '\n')
            {
                separatorLength = 3;
                return i;
            }
        }

        separatorLength = 0;
        return -1;
    }

    /// <summary>Splits header lines on CRLF (or bare LF) and unfolds continuation lines (§7.3.1).</summary>
    private static List<ReadOnlyMemory<byte>> SplitLines(ReadOnlyMemory<byte> block)
    {
        var lines = new List<ReadOnlyMemory<byte>>(24);
        var span = block.Span;
        var start = 0;
        while (start <= span.Length)
        {
            var nl = span[start..].IndexOf((byte)'\n');
            var end = nl < 0 ? span.Length : start + nl;
            var lineEnd = end > start && span[end - 1] == '\r' ? end - 1 : end;
            var line = block[start..lineEnd];
            if (line.Length > 0 && (line.Span[0] == ' ' || line.Span[0] == '\t') && lines.Count > 1)
            {
                // Folded line: join to the previous one with a single space. Rare, so a copy is fine here.
                var previous = lines[^1];
                var joined = new byte[previous.Length + 1 + line.Length];
                previous.Span.CopyTo(joined);
                joined[previous.Length] = (byte)' ';
                line.Span.TrimStart(" \t"u8).CopyTo(joined.AsSpan(previous.Length + 1));
                lines[^1] = joined.AsMemory(0, previous.Length + 1 + line.Span.TrimStart(" \t"u8).Length);
            }
            else if (line.Length > 0 || lines.Count == 0)
            {
                lines.Add(line);
            }

            if (nl < 0)
            {
                break;
            }

            start = end + 1;
        }

        return lines;
    }

    private static SipParseError? ParseStartLine(ReadOnlySpan<byte> line, Builder builder)
    {
        if (line.StartsWith(SipVersion) && line.Length > SipVersion.Length && line[SipVersion.Length] == ' ')
        {
            // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
            var rest = line[(SipVersion.Length + 1)..];
            if (rest.Length < 3 || !Utf8Parser.TryParse(rest[..3], out int code, out var consumed) || consumed != 3 || code is < 100 or > 699
                || (rest.Length > 3 && rest[3] != ' '))
            {
                return new SipParseError(400, "Malformed status line", "start_line", null);
            }

            builder.IsRequest = false;
            builder.StatusCode = code;
            builder.Reason = rest.Length > 4 ? Encoding.UTF8.GetString(rest[4..]) : string.Empty;
            return null;
        }

        // Request-Line = Method SP Request-URI SP SIP-Version (single spaces, §7.1)
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace == firstSpace)
        {
            return new SipParseError(400, "Malformed request line", "start_line", null);
        }

        var method = line[..firstSpace];
        var uri = line[(firstSpace + 1)..lastSpace];
        var version = line[(lastSpace + 1)..];
        foreach (var b in method)
        {
            if (!IsTokenByte(b))
            {
                return new SipParseError(400, "Malformed method", "start_line", null);
            }
        }

        if (uri.IndexOf((byte)' ') >= 0 || uri.Length == 0)
        {
            return new SipParseError(400, "Malformed Request-URI (spaces)", "start_line", null);
        }

        builder.IsRequest = true;
        builder.Method = KnownMethod(method) ?? Encoding.ASCII.GetString(method);
        if (!version.SequenceEqual(SipVersion))
        {
            builder.VersionError = true;
        }

        builder.RequestUriText = Encoding.UTF8.GetString(uri);
        return null;
    }

    private static string? KnownMethod(ReadOnlySpan<byte> method) => method switch
    {
        _ when method.SequenceEqual("INVITE"u8) => "INVITE",
        _ when method.SequenceEqual("ACK"u8) => "ACK",
        _ when method.SequenceEqual("BYE"u8) => "BYE",
        _ when method.SequenceEqual("CANCEL"u8) => "CANCEL",
        _ when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
        _ when method.SequenceEqual("REGISTER"u8) => "REGISTER",
        _ when method.SequenceEqual("UPDATE"u8) => "UPDATE",
        _ when method.SequenceEqual("INFO"u8) => "INFO",
        _ when method.SequenceEqual("PRACK"u8) => "PRACK",
        _ => null,
    };

    private static bool IsTokenByte(byte b) =>
        b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
        || b is (byte)'-' or (byte)'.' or (byte)'!' or (byte)'%' or (byte)'*' or (byte)'_' or (byte)'+' or (byte)'`' or (byte)'\'' or (byte)'~';

    private static SipParseError? ParseHeaders(List<ReadOnlyMemory<byte>> lines, Builder builder)
    {
        SipParseError? first = null;
        for (var i = 1; i < lines.Count; i++)
        {
            var line = lines[i];
            var span = line.Span;
            var colon = span.IndexOf((byte)':');
            if (colon <= 0)
            {
                first ??= new SipParseError(400, "Malformed header line", "header", null);
                continue;
            }

            var nameSpan = span[..colon].TrimEnd(" \t"u8);
            var validName = nameSpan.Length > 0;
            foreach (var b in nameSpan)
            {
                validName &= IsTokenByte(b);
            }

            if (!validName)
            {
                first ??= new SipParseError(400, "Malformed header name", "header", null);
                continue;
            }

            var valueStart = colon + 1;
            while (valueStart < span.Length && (span[valueStart] == ' ' || span[valueStart] == '\t'))
            {
                valueStart++;
            }

            var valueEnd = span.Length;
            while (valueEnd > valueStart && (span[valueEnd - 1] == ' ' || span[valueEnd - 1] == '\t'))
            {
                valueEnd--;
            }

            var name = SipHeaderNames.Canonical(nameSpan) ?? Encoding.ASCII.GetString(nameSpan);
            var header = new SipHeader(name, line[valueStart..valueEnd]);
            builder.Headers.Add(header);
            var problem = builder.Absorb(header);
            if (problem is not null)
            {
                first ??= new SipParseError(400, problem, problem.StartsWith("Content-Length", StringComparison.Ordinal) ? "content_length" : "header", null);
            }
        }

        return first;
    }

    private static SipParseError? Validate(SipMessage message)
    {
        if (message.Vias.Count == 0)
        {
            return new SipParseError(400, "Missing Via header", "missing_header", message);
        }

        string? missing = message.From is null ? "From" : message.To is null ? "To" : message.CallId.Length == 0 ? "Call-ID" : message.CSeqMethod.Length == 0 ? "CSeq" : null;
        if (missing is not null)
        {
            return new SipParseError(400, $"Missing {missing} header", "missing_header", message);
        }

        if (!message.IsRequest)
        {
            return null;
        }

        if (message.UnsupportedVersion)
        {
            return new SipParseError(505, "Version Not Supported", "start_line", message);
        }

        if (message.RequestUri is null)
        {
            var text = message.RequestUriTextForValidation ?? string.Empty;
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var scheme = colon > 0 ? text[..colon].ToLowerInvariant() : string.Empty;
            return scheme is "sip" or "sips" or "tel" || scheme.Length == 0
                ? new SipParseError(400, "Malformed Request-URI", "start_line", message)
                : new SipParseError(416, "Unsupported URI Scheme", "start_line", message);
        }

        if (message.RequestUri.Scheme is not ("sip" or "sips" or "tel"))
        {
            return new SipParseError(416, "Unsupported URI Scheme", "start_line", message);
        }

        if (message.MaxForwards == 0 && message.Method is not ("OPTIONS" or "REGISTER" or "ACK"))
        {
            return new SipParseError(483, "Too Many Hops", "header", message);
        }

        if (message.Method != message.CSeqMethod && !(message.Method == "ACK" && message.CSeqMethod == "ACK"))
        {
            return new SipParseError(400, "CSeq method does not match the request method", "header", message);
        }

        return null;
    }

    /// <summary>Collects the typed parts while headers are read.</summary>
    private sealed class Builder
    {
        public bool IsRequest;
        public string Method = string.Empty;
        public string? RequestUriText;
        public bool VersionError;
        public int StatusCode;
        public string Reason = string.Empty;
        public List<SipHeader> Headers = new(24);
        public List<ViaHeader> Vias = new(2);
        public NameAddress? From;
        public NameAddress? To;
        public string CallId = string.Empty;
        public long CSeq;
        public string CSeqMethod = string.Empty;
        public int? MaxForwards;
        public int? ContentLength;
        private bool callIdSeen;
        private bool cseqSeen;

        public string? Absorb(SipHeader header)
        {
            switch (header.Name)
            {
                case SipHeaderNames.Via:
                    foreach (var part in NameAddress.SplitUnquoted(header.Value, ','))
                    {
                        var via = ViaHeader.Parse(part, out var viaError);
                        if (via is null)
                        {
                            return $"Malformed Via header: {viaError}";
                        }

                        Vias.Add(via);
                    }

                    return null;
                case SipHeaderNames.From:
                    if (From is not null)
                    {
                        return "Duplicate From header";
                    }

                    From = NameAddress.Parse(header.Value, out var fromError);
                    return From is null ? $"Malformed From header: {fromError}" : null;
                case SipHeaderNames.To:
                    if (To is not null)
                    {
                        return "Duplicate To header";
                    }

                    To = NameAddress.Parse(header.Value, out var toError);
                    return To is null ? $"Malformed To header: {toError}" : null;
                case SipHeaderNames.CallId:
                    if (callIdSeen)
                    {
                        return "Duplicate Call-ID header";
                    }

                    callIdSeen = true;
                    CallId = header.Value;
                    return CallId.Length == 0 || CallId.Any(char.IsWhiteSpace) ? "Malformed Call-ID header" : null;
                case SipHeaderNames.CSeq:
                    if (cseqSeen)
                    {
                        return "Duplicate CSeq header";
                    }

                    cseqSeen = true;
                    return ParseCSeq(header.RawValue.Span);
                case SipHeaderNames.MaxForwards:
                    if (!Utf8Parser.TryParse(header.RawValue.Span, out int hops, out var used) || used != header.RawValue.Length || hops is < 0 or > 255)
                    {
                        return "Malformed Max-Forwards header";
                    }

                    MaxForwards = hops;
                    return null;
                case SipHeaderNames.ContentLength:
                    if (!Utf8Parser.TryParse(header.RawValue.Span, out int length, out var consumed) || consumed != header.RawValue.Length || length < 0)
                    {
                        return "Content-Length is not a number";
                    }

                    if (ContentLength is not null && ContentLength != length)
                    {
                        return "Content-Length appears twice with different values";
                    }

                    ContentLength = length;
                    return null;
                default:
                    return null;
            }
        }

        private string? ParseCSeq(ReadOnlySpan<byte> value)
        {
            var space = value.IndexOfAny(" \t"u8);
            if (space <= 0 || !Utf8Parser.TryParse(value[..space], out long number, out var used) || used != space || number is < 0 or > uint.MaxValue)
            {
                return "Malformed CSeq header";
            }

            var method = value[space..].TrimStart(" \t"u8);
            if (method.Length == 0)
            {
                return "Malformed CSeq header";
            }

            foreach (var b in method)
            {
                if (!IsTokenByte(b))
                {
                    return "Malformed CSeq method";
                }
            }

            CSeq = number;
            CSeqMethod = KnownMethod(method) ?? Encoding.ASCII.GetString(method);
            return null;
        }

        public SipMessage Build(ReadOnlyMemory<byte> body)
        {
            SipUri? uri = null;
            if (RequestUriText is not null)
            {
                uri = SipUri.Parse(RequestUriText, out _);
            }

            return new SipMessage
            {
                IsRequest = IsRequest,
                Method = Method,
                RequestUri = uri,
                StatusCode = StatusCode,
                ReasonPhrase = Reason,
                Headers = Headers,
                Body = body,
                Vias = Vias,
                From = From,
                To = To,
                CallId = CallId,
                CSeq = CSeq,
                CSeqMethod = CSeqMethod,
                MaxForwards = MaxForwards,
                RequestUriTextForValidation = RequestUriText,
                UnsupportedVersion = VersionError,
            };
        }
    }
}
