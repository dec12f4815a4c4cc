using System.Buffers;
using System.Buffers.Text;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// Parses one SIP message from bytes (RFC 3261 §7, §20, §25). It walks the buffer once and keeps header values as
/// slices of it. Every header the edge relies on is checked here, so a bad message is refused with the right answer
/// at once. None of the structured headers is built here: <see cref="SipMessage"/> builds them on first use. A
/// well-formed message costs two allocations, the message and its header table (docs/sip.md has the numbers).
/// </summary>
public static class SipParser
{
    public const int DefaultMaxMessageSize = 65_535;

    private static ReadOnlySpan<byte> SipVersion => "SIP/2.0"u8;

    /// <summary>token characters (§25.1).</summary>
    private static readonly SearchValues<byte> TokenBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"u8);

    /// <summary>The same set by byte value: the header name scan reads one entry per byte.</summary>
    private static readonly bool[] IsTokenByte = Enumerable.Range(0, 256).Select(b => TokenBytes.Contains((byte)b)).ToArray();

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

        // One pass over the line feeds finds the end of the headers and every line boundary before it.
        var block = data[offset..];
        var blockSpan = block.Span;
        var lines = ScanLines(blockSpan, out var feeds, out var bodyOffset);
        if (lines < 0)
        {
            error = new SipParseError(400, "Missing empty line after headers", "header", null);
            return null;
        }

        var bodyStart = offset + bodyOffset;
        var start = default(StartLine);
        error = ParseStartLine(TrimCr(block[..feeds[0]]), ref start);
        if (error is not null)
        {
            return null;
        }

        // One slot per line after the start line is enough: folding only ever joins lines.
        SipHeader[] headers = lines == 1 ? [] : new SipHeader[lines - 1];
        var count = 0;
        var fields = default(HeaderFields);
        SipParseError? headerError = null;
        for (var k = 1; k < lines; k++)
        {
            var lineStart = feeds[k - 1] + 1;
            var folded = false;
            while (k + 1 < lines && blockSpan[feeds[k] + 1] is (byte)' ' or (byte)'\t')
            {
                folded = true;
                k++;
            }

            var lineEnd = feeds[k] > lineStart && blockSpan[feeds[k] - 1] == '\r' ? feeds[k] - 1 : feeds[k];
            SipParseError? problem;
            if (folded)
            {
                var joined = Unfold(blockSpan[lineStart..feeds[k]]);
                problem = ParseHeader(joined, joined.Span, 0, joined.Length, headers, ref count, ref fields);
            }
            else
            {
                problem = lineEnd > lineStart ? ParseHeader(block, blockSpan, lineStart, lineEnd, headers, ref count, ref fields) : null;
            }

            headerError ??= problem;
        }

        // Content-Length framing (§18.3, §20.14)
        var available = span.Length - bodyStart;
        var bodyLength = available;
        string? framingError = null;
        if (fields.ContentLength is { } declared)
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

        var body = data.Slice(bodyStart, Math.Max(0, Math.Min(bodyLength, available)));
        var message = new SipMessage(start, headers, count, body, fields.CSeq, fields.CSeqMethod ?? string.Empty, fields.MaxForwards);
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

        error = Validate(message, start, fields);
        return error is null ? message : null;
    }

    /// <summary>What the start line says. The Request-URI and the reason phrase stay bytes until someone reads them.</summary>
    internal struct StartLine
    {
        public bool IsRequest;
        public string Method;
        public ReadOnlyMemory<byte> RequestUri;

        /// <summary>0 when the Request-URI is usable, else the answer: 400 (malformed) or 416 (a scheme the edge does not speak).</summary>
        public int RequestUriProblem;
        public bool UnsupportedVersion;
        public int StatusCode;
        public ReadOnlyMemory<byte> Reason;
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
        var lines = ScanLines(rest, out var feeds, out var bodyStart);
        if (lines < 0)
        {
            return rest.Length > maxMessageSize ? -1 : 0;
        }

        var contentLength = FindContentLength(rest[..feeds[lines - 1]]);
        if (contentLength < 0)
        {
            return -1;
        }

        var total = bodyStart + contentLength;
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

    [ThreadStatic]
    private static int[]? lineFeedScratch;

    /// <summary>
    /// Records where every line of the start line and headers ends (its line feed), up to the empty line; returns the
    /// number of lines, or -1 when there is no empty line. <paramref name="feeds"/> is this thread's scratch array
    /// (valid until the next scan on the thread), grown when a message has more lines.
    /// </summary>
    private static int ScanLines(ReadOnlySpan<byte> span, out int[] feeds, out int bodyStart)
    {
        feeds = lineFeedScratch ??= new int[64];
        var lines = RecordLineFeeds(span, ref feeds, out bodyStart);
        lineFeedScratch = feeds;
        return lines;
    }

    private static int RecordLineFeeds(ReadOnlySpan<byte> span, ref int[] feeds, out int bodyStart)
    {
        var count = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // 32 bytes at a time: one compare gives the line feeds of the block as bits, taken lowest first. Lines
            // are short, so this beats a search call per line.
            ref var first = ref MemoryMarshal.GetReference(span);
            var lineFeed = Vector256.Create((byte)'\n');
            for (; i + Vector256<byte>.Count <= span.Length; i += Vector256<byte>.Count)
            {
                var bits = Vector256.Equals(Vector256.LoadUnsafe(ref first, (nuint)i), lineFeed).ExtractMostSignificantBits();
                while (bits != 0)
                {
                    if (EndsLine(span, i + BitOperations.TrailingZeroCount(bits), ref feeds, ref count, out bodyStart))
                    {
                        return count;
                    }

                    bits &= bits - 1;
                }
            }
        }

        for (var next = span[i..].IndexOf((byte)'\n'); next >= 0; next = span[i..].IndexOf((byte)'\n'))
        {
            if (EndsLine(span, i + next, ref feeds, ref count, out bodyStart))
            {
                return count;
            }

            i += next + 1;
        }

        bodyStart = -1;
        return -1;
    }

    /// <summary>Records the line feed at <paramref name="at"/>; true when the empty line follows it (the headers end).</summary>
    private static bool EndsLine(ReadOnlySpan<byte> span, int at, ref int[] feeds, ref int count, out int bodyStart)
    {
        if (count == feeds.Length)
        {
            Array.Resize(ref feeds, feeds.Length * 2);
        }

        feeds[count++] = at;
        bodyStart = at + 1 < span.Length && span[at + 1] == '\n' ? at + 2
            : at + 2 < span.Length && span[at + 1] == '\r' && span[at + 2] == '\n' ? at + 3
            : -1;
        return bodyStart >= 0;
    }

    private static ReadOnlyMemory<byte> TrimCr(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == '\r' ? line[..^1] : line;

    /// <summary>A header line continued on the next lines (§7.3.1): joined with one space each. Rare, so a copy is fine.</summary>
    private static ReadOnlyMemory<byte> Unfold(ReadOnlySpan<byte> lines)
    {
        var joined = new byte[lines.Length];
        var length = 0;
        var first = true;
        foreach (var range in lines.Split((byte)'\n'))
        {
            var piece = lines[range];
            piece = piece.Length > 0 && piece[^1] == '\r' ? piece[..^1] : piece;
            if (!first)
            {
                piece = piece.TrimStart(" \t"u8);
                joined[length++] = (byte)' ';
            }

            piece.CopyTo(joined.AsSpan(length));
            length += piece.Length;
            first = false;
        }

        return joined.AsMemory(0, length);
    }

    private static SipParseError? ParseStartLine(ReadOnlyMemory<byte> memory, ref StartLine start)
    {
        var line = memory.Span;
        if (line.StartsWith(SipVersion) && line.Length > SipVersion.Length && line[SipVersion.Length] == ' ')
        {
            // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
            var rest = line[(SipVersion.Length + 1)..];
            if (rest.Length < 3 || !Utf8Parser.TryParse(rest[..3], out int code, out var consumed) || consumed != 3 || code is < 100 or > 699
                || (rest.Length > 3 && rest[3] != ' '))
            {
                return new SipParseError(400, "Malformed status line", "start_line", null);
            }

            start.IsRequest = false;
            start.Method = string.Empty;
            start.StatusCode = code;
            start.Reason = rest.Length > 4 ? memory[(SipVersion.Length + 5)..] : default;
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
        if (method.ContainsAnyExcept(TokenBytes))
        {
            return new SipParseError(400, "Malformed method", "start_line", null);
        }

        if (uri.IndexOf((byte)' ') >= 0 || uri.Length == 0)
        {
            return new SipParseError(400, "Malformed Request-URI (spaces)", "start_line", null);
        }

        start.IsRequest = true;
        start.Method = KnownMethod(method) ?? Encoding.ASCII.GetString(method);
        start.UnsupportedVersion = !line[(lastSpace + 1)..].SequenceEqual(SipVersion);
        start.RequestUri = memory[(firstSpace + 1)..lastSpace];
        start.RequestUriProblem = RequestUriProblem(uri);
        return null;
    }

    /// <summary>
    /// 416 only for a well-formed URI, or a well-formed scheme, that the edge does not speak (RFC 4475 §3.3.2 unkscm);
    /// a broken sip/sips/tel URI, or "&lt;sip:…&gt;" or junk before the colon, is malformed (§3.1.2.6 ltgtruri): 400.
    /// </summary>
    [SkipLocalsInit] // the stack buffer is written by the decoder before it is read
    private static int RequestUriProblem(ReadOnlySpan<byte> uri)
    {
        Span<char> stack = stackalloc char[Utf8Chars.StackSize];
        using var text = new Utf8Chars(uri, stack);
        var chars = text.Chars;
        var colon = chars.IndexOf(':');
        var scheme = colon > 0 ? chars[..colon] : default;
        var spoken = scheme.Equals("sip", StringComparison.OrdinalIgnoreCase) || scheme.Equals("sips", StringComparison.OrdinalIgnoreCase)
            || scheme.Equals("tel", StringComparison.OrdinalIgnoreCase);
        if (!SipUri.Check(chars, out _))
        {
            return spoken || !SipUri.IsWellFormedScheme(scheme) ? 400 : 416;
        }

        return spoken ? 0 : 416;
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

    /// <summary>One header line, <paramref name="start"/> to <paramref name="end"/> of <paramref name="owner"/> (whose span is <paramref name="ownerSpan"/>).</summary>
    private static SipParseError? ParseHeader(ReadOnlyMemory<byte> owner, ReadOnlySpan<byte> ownerSpan, int start, int end, SipHeader[] headers, ref int count, ref HeaderFields fields)
    {
        // field-name HCOLON (§7.3.1): a token, optional white space, then the colon.
        var span = ownerSpan[start..end];
        var nameEnd = 0;
        while (nameEnd < span.Length && IsTokenByte[span[nameEnd]])
        {
            nameEnd++;
        }

        var colon = nameEnd;
        while (colon < span.Length && span[colon] is (byte)' ' or (byte)'\t')
        {
            colon++;
        }

        if (nameEnd == 0 || colon == span.Length || span[colon] != ':')
        {
            return new SipParseError(400, span.IndexOf((byte)':') <= 0 ? "Malformed header line" : "Malformed header name", "header", null);
        }

        var nameSpan = span[..nameEnd];

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

        var name = SipHeaderNames.Canonical(nameSpan) ?? SipHeaderNames.AsReceived(nameSpan);
        headers[count++] = new SipHeader(name, owner[(start + valueStart)..(start + valueEnd)]);
        var problem = fields.Absorb(name, span[valueStart..valueEnd]);
        return problem is null ? null
            : new SipParseError(400, problem, problem.StartsWith("Content-Length", StringComparison.Ordinal) ? "content_length" : "header", null);
    }

    private static SipParseError? Validate(SipMessage message, in StartLine start, in HeaderFields fields)
    {
        if (fields.ViaLines == 0)
        {
            return new SipParseError(400, "Missing Via header", "missing_header", message);
        }

        var missing = !fields.FromSeen ? "From" : !fields.ToSeen ? "To" : !fields.CallIdSeen ? "Call-ID" : fields.CSeqMethod is null ? "CSeq" : null;
        if (missing is not null)
        {
            return new SipParseError(400, $"Missing {missing} header", "missing_header", message);
        }

        if (!start.IsRequest)
        {
            return null;
        }

        if (start.UnsupportedVersion)
        {
            return new SipParseError(505, "Version Not Supported", "start_line", message);
        }

        switch (start.RequestUriProblem)
        {
            case 400:
                return new SipParseError(400, "Malformed Request-URI", "start_line", message);
            case 416:
                return new SipParseError(416, "Unsupported URI Scheme", "start_line", message);
        }

        if (fields.MaxForwards == 0 && start.Method is not ("OPTIONS" or "REGISTER" or "ACK"))
        {
            return new SipParseError(483, "Too Many Hops", "header", message);
        }

        if (start.Method != fields.CSeqMethod)
        {
            return new SipParseError(400, "CSeq method does not match the request method", "header", message);
        }

        return null;
    }

    /// <summary>What the headers say that the parser needs: counts, numbers and the CSeq, read and checked as the lines go by.</summary>
    private struct HeaderFields
    {
        public int ViaLines;
        public bool FromSeen;
        public bool ToSeen;
        public bool CallIdSeen;
        public long CSeq;
        public string? CSeqMethod;
        public int? MaxForwards;
        public int? ContentLength;

        /// <summary>Checks one header of the kinds the edge relies on; the problem, to be answered with 400, or null.</summary>
        public string? Absorb(string name, ReadOnlySpan<byte> value)
        {
            switch (KindOf(name))
            {
                case Kind.Via:
                    ViaLines++;
                    return CheckVias(value);
                case Kind.From:
                    if (FromSeen)
                    {
                        return "Duplicate From header";
                    }

                    FromSeen = true;
                    return CheckAddress(value, out var fromError) ? null : $"Malformed From header: {fromError}";
                case Kind.To:
                    if (ToSeen)
                    {
                        return "Duplicate To header";
                    }

                    ToSeen = true;
                    return CheckAddress(value, out var toError) ? null : $"Malformed To header: {toError}";
                case Kind.CallId:
                    if (CallIdSeen)
                    {
                        return "Duplicate Call-ID header";
                    }

                    CallIdSeen = true;
                    // callid = word [ "@" word ]: no white space or control characters (§25.1).
                    return value.IsEmpty || value.IndexOfAnyInRange((byte)0, (byte)' ') >= 0 || value.Contains((byte)0x7F) ? "Malformed Call-ID header" : null;
                case Kind.CSeq:
                    if (CSeqMethod is not null)
                    {
                        return "Duplicate CSeq header";
                    }

                    return ParseCSeq(value);
                case Kind.MaxForwards:
                    if (!Utf8Parser.TryParse(value, out int hops, out var used) || used != value.Length || hops is < 0 or > 255)
                    {
                        return "Malformed Max-Forwards header";
                    }

                    MaxForwards = hops;
                    return null;
                case Kind.ContentLength:
                    if (!Utf8Parser.TryParse(value, out int length, out var consumed) || consumed != value.Length || length < 0)
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

        private enum Kind
        {
            Other,
            Via,
            From,
            To,
            CallId,
            CSeq,
            MaxForwards,
            ContentLength,
        }

        /// <summary>Known names are the interned canonical strings, so reference tests tell them apart without hashing the name.</summary>
        private static Kind KindOf(string name) =>
            (object)name == SipHeaderNames.Via ? Kind.Via
            : (object)name == SipHeaderNames.From ? Kind.From
            : (object)name == SipHeaderNames.To ? Kind.To
            : (object)name == SipHeaderNames.CallId ? Kind.CallId
            : (object)name == SipHeaderNames.CSeq ? Kind.CSeq
            : (object)name == SipHeaderNames.MaxForwards ? Kind.MaxForwards
            : (object)name == SipHeaderNames.ContentLength ? Kind.ContentLength
            : Kind.Other;

        [SkipLocalsInit] // the stack buffer is written by the decoder before it is read
        private static string? CheckVias(ReadOnlySpan<byte> raw)
        {
            Span<char> stack = stackalloc char[Utf8Chars.StackSize];
            using var text = new Utf8Chars(raw, stack);
            return ViaHeader.TryParseList(text.Chars, into: null, out var error) ? null : $"Malformed Via header: {error}";
        }

        [SkipLocalsInit] // the stack buffer is written by the decoder before it is read
        private static bool CheckAddress(ReadOnlySpan<byte> raw, out string? error)
        {
            Span<char> stack = stackalloc char[Utf8Chars.StackSize];
            using var text = new Utf8Chars(raw, stack);
            return NameAddress.Check(text.Chars, out error);
        }

        private string? ParseCSeq(ReadOnlySpan<byte> value)
        {
            var space = value.IndexOfAny(" \t"u8);
            if (space <= 0 || !Utf8Parser.TryParse(value[..space], out long number, out var used) || used != space || number is < 0 or > uint.MaxValue)
            {
                return "Malformed CSeq header";
            }

            var method = value[space..].TrimStart(" \t"u8);
            if (method.IsEmpty)
            {
                return "Malformed CSeq header";
            }

            if (method.ContainsAnyExcept(TokenBytes))
            {
                return "Malformed CSeq method";
            }

            CSeq = number;
            CSeqMethod = KnownMethod(method) ?? Encoding.ASCII.GetString(method);
            return null;
        }
    }
}
