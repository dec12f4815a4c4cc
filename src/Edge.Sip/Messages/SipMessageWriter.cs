using System.Buffers;
using System.Globalization;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// Builds a message for the wire: a start line, headers in order (values as text or as the raw bytes received, so
/// forwarded headers are copied byte for byte) and a body; Content-Length is always written from the body.
/// The header table is rented from a pool and given back once the message is written, so a writer is written once
/// (<see cref="ToArray"/> or <see cref="WriteTo"/>); serialisation goes through a thread-local buffer and yields one
/// exact-size array per message.
/// </summary>
public sealed class SipMessageWriter
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? scratch;

    private Line[]? headers;
    private int count;
    private string startLine = string.Empty;
    // A request's URI as bytes (its start line is then the method, this, and the version); empty when startLine is whole.
    private ReadOnlyMemory<byte> requestUriBytes;
    private ReadOnlyMemory<byte> body;

    private SipMessageWriter(int headerCapacity, string method)
    {
        headers = ArrayPool<Line>.Shared.Rent(Math.Max(headerCapacity, 4));
        Method = method;
    }

    /// <summary>The request's method; empty for a response.</summary>
    public string Method { get; }

    /// <param name="headerCapacity">Headers expected, so the table is rented once (a forwarded INVITE has dozens, an ACK eight).</param>
    public static SipMessageWriter Request(string method, string requestUri, int headerCapacity = 10) =>
        new(headerCapacity, method) { startLine = $"{method} {requestUri} SIP/2.0" };

    /// <summary>A request whose URI is UTF-8 held elsewhere (a dialog's remote target), written as it is.</summary>
    public static SipMessageWriter Request(string method, ReadOnlyMemory<byte> requestUri, int headerCapacity = 10) =>
        new(headerCapacity, method) { startLine = method, requestUriBytes = requestUri };

    public static SipMessageWriter Response(int statusCode, string reason, int headerCapacity = 10) =>
        new(headerCapacity, string.Empty) { startLine = $"SIP/2.0 {statusCode.ToString(CultureInfo.InvariantCulture)} {reason}" };

    /// <summary>A response to <paramref name="request"/> per RFC 3261 §8.2.6: Via, From, To (with a tag), Call-ID, CSeq copied.</summary>
    public static SipMessageWriter ResponseTo(SipMessage request, int statusCode, string reason, string? toTag)
    {
        // The copied Vias, From, To, Call-ID, CSeq, and room for what the caller adds (Server, Contact, a few more).
        var writer = Response(statusCode, reason, 16);
        // The Vias carry the received/rport the server notes (§18.2.1, RFC 3581). With a plain top Via they are written
        // from the received bytes, received and rport filled into the first; otherwise from the parsed list.
        var inPlace = request.ReceivedFrom is { } source && request.TryReadTopVia(out _) ? source : null;
        if (inPlace is null)
        {
            foreach (var via in request.Vias)
            {
                writer.Append(new Line(SipHeaderNames.Via, via.ToString(), default, null));
            }
        }

        var firstVia = true;
        foreach (var header in request.Headers)
        {
            if (inPlace is not null && (object)header.Name == SipHeaderNames.Via)
            {
                writer.Append(new Line(SipHeaderNames.Via, null, header.RawValue, null, firstVia ? inPlace : null));
                firstVia = false;
            }
            else if (header.Is(SipHeaderNames.From) || header.Is(SipHeaderNames.CallId) || header.Is(SipHeaderNames.CSeq))
            {
                writer.Add(header);
            }
            else if (header.Is(SipHeaderNames.To))
            {
                // The To as received, and the tag after it when this response sets one (§8.2.6.2).
                var tag = toTag is not null && statusCode > 100 && !request.HasToTag ? toTag : null;
                writer.Append(new Line(header.Name, null, header.RawValue, tag));
            }
        }

        return writer;
    }

    /// <summary>The branch of the first Via (the one this edge puts on a request it sends); null without one.</summary>
    public string? TopViaBranch
    {
        get
        {
            foreach (var header in Lines)
            {
                if (header.Is(SipHeaderNames.Via))
                {
                    return header.Text is { } text ? BranchOf(text) : null;
                }
            }

            return null;
        }
    }

    /// <summary>The branch of a Via the edge wrote: read in place when plain (as this edge writes them), else parsed.</summary>
    private static string? BranchOf(string via)
    {
        Span<byte> bytes = stackalloc byte[512];
        if (via.Length <= bytes.Length && System.Text.Ascii.FromUtf16(via, bytes, out var length) == OperationStatus.Done
            && ViaHeader.TryReadPlain(bytes[..length], out PlainVia plain))
        {
            return Encoding.ASCII.GetString(plain.Branch);
        }

        return ViaHeader.Parse(via, out _)?.Branch;
    }

    private ReadOnlySpan<Line> Lines => (headers ?? throw Written()).AsSpan(0, count);

    /// <summary>Replaces the Via headers with one value per entry (used when answering with received/rport added).</summary>
    public SipMessageWriter ReplaceVias(IEnumerable<ViaHeader> vias)
    {
        var index = -1;
        var lines = Lines;
        for (var i = 0; i < lines.Length && index < 0; i++)
        {
            index = lines[i].Is(SipHeaderNames.Via) ? i : -1;
        }

        Remove(SipHeaderNames.Via);
        var at = Math.Max(0, index);
        foreach (var via in vias)
        {
            Insert(at++, new Line(SipHeaderNames.Via, via.ToString(), default, null));
        }

        return this;
    }

    /// <summary>A header given as text: kept as the string and encoded once, straight into the output.</summary>
    public SipMessageWriter Add(string name, string value) => Append(new Line(name, value, default, null));

    /// <summary>A header whose value is UTF-8 held elsewhere, written as it is.</summary>
    public SipMessageWriter Add(string name, ReadOnlyMemory<byte> value) => Append(new Line(name, null, value, null));

    /// <summary>A header as received: its bytes are copied unchanged.</summary>
    public SipMessageWriter Add(SipHeader header) => Append(new Line(header.Name, null, header.RawValue, null));

    public SipMessageWriter Remove(string name)
    {
        var lines = headers ?? throw Written();
        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            if (!lines[i].Is(name))
            {
                lines[kept++] = lines[i];
            }
        }

        Array.Clear(lines, kept, count - kept);
        count = kept;
        return this;
    }

    public SipMessageWriter WithBody(ReadOnlyMemory<byte> content, string? contentType)
    {
        body = content;
        Remove(SipHeaderNames.ContentType);
        if (contentType is not null && content.Length > 0)
        {
            Append(new Line(SipHeaderNames.ContentType, contentType, default, null));
        }

        return this;
    }

    public byte[] ToArray()
    {
        var buffer = scratch ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the message and gives the header table back to the pool: the writer cannot be used again.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        var lines = headers ?? throw Written();
        WriteAscii(output, startLine);
        if (!requestUriBytes.IsEmpty)
        {
            output.Write(" "u8);
            output.Write(requestUriBytes.Span);
            output.Write(" SIP/2.0"u8);
        }

        WriteCrlf(output);
        foreach (var header in lines.AsSpan(0, count))
        {
            if (header.Is(SipHeaderNames.ContentLength))
            {
                continue;
            }

            WriteAscii(output, header.Name);
            output.Write(": "u8);
            if (header.Text is { } text)
            {
                WriteAscii(output, text);
            }
            else if (header.ReceivedFrom is not { } source || !ViaHeader.TryWriteWithReceived(header.Raw.Span, source, output))
            {
                output.Write(header.Raw.Span);
            }

            if (header.Tag is { } tag)
            {
                output.Write(";tag="u8);
                WriteAscii(output, tag);
            }

            WriteCrlf(output);
        }

        output.Write("Content-Length: "u8);
        var digits = output.GetSpan(11);
        body.Length.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
        WriteCrlf(output);
        WriteCrlf(output);
        output.Write(body.Span);

        headers = null;
        ArrayPool<Line>.Shared.Return(lines, clearArray: true);
    }

    private SipMessageWriter Append(in Line line)
    {
        var lines = headers ?? throw Written();
        if (count == lines.Length)
        {
            var larger = ArrayPool<Line>.Shared.Rent(lines.Length * 2);
            lines.AsSpan(0, count).CopyTo(larger);
            ArrayPool<Line>.Shared.Return(lines, clearArray: true);
            headers = lines = larger;
        }

        lines[count++] = line;
        return this;
    }

    private void Insert(int index, in Line line)
    {
        Append(line);
        var lines = headers!;
        lines.AsSpan(index, count - 1 - index).CopyTo(lines.AsSpan(index + 1));
        lines[index] = line;
    }

    private static InvalidOperationException Written() => new("the message has been written; a writer is written once");

    private static void WriteCrlf(IBufferWriter<byte> output) => output.Write("\r\n"u8);

    /// <summary>
    /// One header to write: its value as text (<see cref="Text"/>) or as bytes received (<see cref="Raw"/>), a tag
    /// parameter to append (<see cref="Tag"/>, for the To of a response that sets one), and for a request's top Via
    /// line the source whose received/rport go into its first Via (<see cref="ReceivedFrom"/>).
    /// </summary>
    private readonly record struct Line(string Name, string? Text, ReadOnlyMemory<byte> Raw, string? Tag, System.Net.IPEndPoint? ReceivedFrom = null)
    {
        public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);
    }

    private static void WriteAscii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = Encoding.UTF8.GetBytes(text, span);
        output.Advance(written);
    }
}
