using System.Buffers.Text;
using System.Text;

namespace Calltracking.Edge.NumberPool.Redis;

/// <summary>What a RESP2 reply is.</summary>
public enum RespKind : byte
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,

    /// <summary>A null bulk string or null array (<c>$-1</c>, <c>*-1</c>): Lua's <c>false</c> and <c>nil</c>.</summary>
    Nil,
}

/// <summary>One reply from Redis: text for strings and errors, a number for integers, items for arrays.</summary>
public readonly record struct RespReply(RespKind Kind, string? Text, long Integer, RespReply[]? Items)
{
    public bool IsNil => Kind == RespKind.Nil;

    /// <summary>The reply as a string: the text of a string, the digits of an integer, null for nil.</summary>
    public string? AsString() => Kind switch
    {
        RespKind.SimpleString or RespKind.BulkString => Text,
        RespKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RespKind.Nil => null,
        _ => throw new InvalidCastException($"a RESP {Kind} is not a string"),
    };

    /// <summary>The reply as a number: an integer, or a string of digits (Lua numbers come back as integers).</summary>
    public long AsInt64() => Kind switch
    {
        RespKind.Integer => Integer,
        RespKind.SimpleString or RespKind.BulkString when long.TryParse(Text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new InvalidCastException($"a RESP {Kind} is not a number"),
    };

    /// <summary>The items of an array reply; an empty list for nil.</summary>
    public RespReply[] AsArray() => Kind switch
    {
        RespKind.Array => Items!,
        RespKind.Nil => [],
        _ => throw new InvalidCastException($"a RESP {Kind} is not an array"),
    };
}

/// <summary>What <see cref="RespParser.TryParse"/> found at the start of the buffer.</summary>
public enum RespParseStatus
{
    Complete,

    /// <summary>The reply goes on past the bytes received so far.</summary>
    Incomplete,

    /// <summary>The bytes are not RESP2 (or exceed the parser's limits): the connection cannot be trusted any more.</summary>
    Invalid,
}

/// <summary>
/// RESP2 replies (https://redis.io/docs/latest/develop/reference/protocol-spec/) read from received bytes, one at a
/// time, without copying the buffer. Limits keep a broken or hostile peer from costing unbounded memory: a bulk string
/// of at most <see cref="MaxBulkLength"/> bytes, arrays of at most <see cref="MaxArrayLength"/> items, nested at most
/// <see cref="MaxDepth"/> deep.
/// </summary>
public static class RespParser
{
    public const int MaxBulkLength = 64 * 1024 * 1024;
    public const int MaxArrayLength = 1024 * 1024;
    public const int MaxDepth = 8;

    /// <summary>Reads one reply from the start of <paramref name="buffer"/>; on <see cref="RespParseStatus.Complete"/>, <paramref name="consumed"/> is its length.</summary>
    public static RespParseStatus TryParse(ReadOnlySpan<byte> buffer, out RespReply reply, out int consumed)
    {
        consumed = 0;
        return Parse(buffer, 0, ref consumed, out reply);
    }

    private static RespParseStatus Parse(ReadOnlySpan<byte> buffer, int depth, ref int position, out RespReply reply)
    {
        reply = default;
        if (position >= buffer.Length)
        {
            return RespParseStatus.Incomplete;
        }

        var type = buffer[position];
        var line = buffer[(position + 1)..];
        var end = line.IndexOf((byte)'\r');
        if (end < 0)
        {
            // No CR yet: incomplete unless the line is already longer than any valid header or simple reply can be.
            return line.Length > MaxBulkLength ? RespParseStatus.Invalid : RespParseStatus.Incomplete;
        }

        if (end + 1 >= line.Length)
        {
            return RespParseStatus.Incomplete;
        }

        if (line[end + 1] != (byte)'\n')
        {
            return RespParseStatus.Invalid;
        }

        var text = line[..end];
        var next = position + 1 + end + 2;
        switch (type)
        {
            case (byte)'+':
            case (byte)'-':
                if (text.IndexOf((byte)'\n') >= 0)
                {
                    return RespParseStatus.Invalid;
                }

                reply = new RespReply(type == '+' ? RespKind.SimpleString : RespKind.Error, Encoding.UTF8.GetString(text), 0, null);
                position = next;
                return RespParseStatus.Complete;
            case (byte)':':
                if (!TryInteger(text, out var integer))
                {
                    return RespParseStatus.Invalid;
                }

                reply = new RespReply(RespKind.Integer, null, integer, null);
                position = next;
                return RespParseStatus.Complete;
            case (byte)'$':
                if (!TryInteger(text, out var length) || length < -1 || length > MaxBulkLength)
                {
                    return RespParseStatus.Invalid;
                }

                if (length == -1)
                {
                    reply = new RespReply(RespKind.Nil, null, 0, null);
                    position = next;
                    return RespParseStatus.Complete;
                }

                if (buffer.Length - next < length + 2)
                {
                    return RespParseStatus.Incomplete;
                }

                if (buffer[next + (int)length] != (byte)'\r' || buffer[next + (int)length + 1] != (byte)'\n')
                {
                    return RespParseStatus.Invalid;
                }

                reply = new RespReply(RespKind.BulkString, Encoding.UTF8.GetString(buffer.Slice(next, (int)length)), 0, null);
                position = next + (int)length + 2;
                return RespParseStatus.Complete;
            case (byte)'*':
                if (!TryInteger(text, out var count) || count < -1 || count > MaxArrayLength || depth >= MaxDepth)
                {
                    return RespParseStatus.Invalid;
                }

                if (count == -1)
                {
                    reply = new RespReply(RespKind.Nil, null, 0, null);
                    position = next;
                    return RespParseStatus.Complete;
                }

                // Each item takes at least 3 bytes: an array claiming more than the buffer could ever hold is only
                // allocated once its bytes are here, so a bogus count costs nothing.
                if (count * 3 > buffer.Length - next)
                {
                    return count * 3 > MaxBulkLength ? RespParseStatus.Invalid : RespParseStatus.Incomplete;
                }

                var items = count == 0 ? [] : new RespReply[count];
                var at = next;
                for (var i = 0; i < items.Length; i++)
                {
                    var status = Parse(buffer, depth + 1, ref at, out items[i]);
                    if (status != RespParseStatus.Complete)
                    {
                        return status;
                    }
                }

                reply = new RespReply(RespKind.Array, null, 0, items);
                position = at;
                return RespParseStatus.Complete;
            default:
                return RespParseStatus.Invalid;
        }
    }

    private static bool TryInteger(ReadOnlySpan<byte> text, out long value) =>
        Utf8Parser.TryParse(text, out value, out var read) && read == text.Length && text.Length > 0;
}
