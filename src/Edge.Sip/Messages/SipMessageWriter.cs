using System.Buffers;
using System.Globalization;
using System.Text;

namespace Calltracking.Edge.Sip.Messages;

/// <summary>
/// Builds a message for the wire: a start line, headers in order (values as text or as the raw bytes received, so
/// forwarded headers are copied byte for byte) and a body; Content-Length is always written from the body.
/// Serialisation goes through a thread-local buffer and yields one exact-size array per message.
/// </summary>
public sealed class SipMessageWriter
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? scratch;

    private readonly List<Line> headers;
    private string startLine = string.Empty;
    private ReadOnlyMemory<byte> body;

    private SipMessageWriter(int headerCapacity) => headers = new List<Line>(headerCapacity);

    /// <param name="headerCapacity">Headers expected, so the list is sized once (a forwarded INVITE has dozens, an ACK eight).</param>
    public static SipMessageWriter Request(string method, string requestUri, int headerCapacity = 10) =>
        new(headerCapacity) { startLine = $"{method} {requestUri} SIP/2.0" };

    public static SipMessageWriter Response(int statusCode, string reason, int headerCapacity = 10) =>
        new(headerCapacity) { startLine = $"SIP/2.0 {statusCode.ToString(CultureInfo.InvariantCulture)} {reason}" };

    /// <summary>A response to <paramref name="request"/> per RFC 3261 §8.2.6: Via, From, To (with a tag), Call-ID, CSeq copied.</summary>
    public static SipMessageWriter ResponseTo(SipMessage request, int statusCode, string reason, string? toTag)
    {
        // The copied Vias, From, To, Call-ID, CSeq, and room for what the caller adds (Server, Contact, a few more).
        var writer = Response(statusCode, reason, request.Vias.Count + 10);
        // Via values come from the parsed list, which carries the received/rport the server added (§18.2.1, RFC 3581).
        foreach (var via in request.Vias)
        {
            writer.headers.Add(new Line(SipHeaderNames.Via, via.ToString(), default));
        }

        foreach (var header in request.Headers)
        {
            if (header.Is(SipHeaderNames.From) || header.Is(SipHeaderNames.CallId) || header.Is(SipHeaderNames.CSeq))
            {
                writer.Add(header);
            }
            else if (header.Is(SipHeaderNames.To))
            {
                if (toTag is not null && statusCode > 100 && request.To is { Tag: null })
                {
                    writer.headers.Add(new Line(SipHeaderNames.To, $"{header.Value};tag={toTag}", default));
                }
                else
                {
                    writer.Add(header);
                }
            }
        }

        return writer;
    }

    /// <summary>Replaces the Via headers with one value per entry (used when answering with received/rport added).</summary>
    public SipMessageWriter ReplaceVias(IEnumerable<ViaHeader> vias)
    {
        var index = headers.FindIndex(h => h.Is(SipHeaderNames.Via));
        headers.RemoveAll(h => h.Is(SipHeaderNames.Via));
        headers.InsertRange(Math.Max(0, index), vias.Select(v => new Line(SipHeaderNames.Via, v.ToString(), default)));
        return this;
    }

    /// <summary>A header given as text: kept as the string and encoded once, straight into the output.</summary>
    public SipMessageWriter Add(string name, string value)
    {
        headers.Add(new Line(name, value, default));
        return this;
    }

    /// <summary>A header as received: its bytes are copied unchanged.</summary>
    public SipMessageWriter Add(SipHeader header)
    {
        headers.Add(new Line(header.Name, null, header.RawValue));
        return this;
    }

    public SipMessageWriter Remove(string name)
    {
        headers.RemoveAll(h => h.Is(name));
        return this;
    }

    public SipMessageWriter WithBody(ReadOnlyMemory<byte> content, string? contentType)
    {
        body = content;
        headers.RemoveAll(h => h.Is(SipHeaderNames.ContentType));
        if (contentType is not null && content.Length > 0)
        {
            headers.Add(new Line(SipHeaderNames.ContentType, contentType, default));
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

    public void WriteTo(IBufferWriter<byte> output)
    {
        WriteAscii(output, startLine);
        WriteCrlf(output);
        foreach (var header in headers)
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
            else
            {
                output.Write(header.Raw.Span);
            }

            WriteCrlf(output);
        }

        output.Write("Content-Length: "u8);
        WriteAscii(output, body.Length.ToString(CultureInfo.InvariantCulture));
        WriteCrlf(output);
        WriteCrlf(output);
        output.Write(body.Span);
    }

    private static void WriteCrlf(IBufferWriter<byte> output) => output.Write("\r\n"u8);

    /// <summary>One header to write: its value as text (<see cref="Text"/>) or as bytes received (<see cref="Raw"/>).</summary>
    private readonly record struct Line(string Name, string? Text, ReadOnlyMemory<byte> Raw)
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
