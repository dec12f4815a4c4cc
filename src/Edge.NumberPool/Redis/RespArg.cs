using System.Buffers.Text;
using System.Text;

namespace Calltracking.Edge.NumberPool.Redis;

/// <summary>One argument of a Redis command: a string (sent as UTF-8), bytes (sent as they are) or a number (sent as its decimal digits).</summary>
public readonly struct RespArg
{
    private readonly string? text;
    private readonly byte[]? bytes;
    private readonly long number;

    private RespArg(string? text, byte[]? bytes, long number)
    {
        this.text = text;
        this.bytes = bytes;
        this.number = number;
    }

    public static implicit operator RespArg(string text) => new(text ?? string.Empty, null, 0);

    public static implicit operator RespArg(byte[] bytes) => new(null, bytes, 0);

    public static implicit operator RespArg(long number) => new(null, null, number);

    /// <summary>The bytes of the argument's value.</summary>
    public int ValueLength => text is not null ? Encoding.UTF8.GetByteCount(text) : bytes is not null ? bytes.Length : Digits(number);

    /// <summary>
    /// The command made of <paramref name="head"/> then <paramref name="tail"/> as a RESP array of bulk strings, in a
    /// buffer rented from the shared pool (the caller returns it); its length in <paramref name="length"/>.
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<RespArg> head, ReadOnlySpan<RespArg> tail, out int length)
    {
        var count = head.Length + tail.Length;
        Span<int> lengths = count <= 32 ? stackalloc int[count] : new int[count];
        var size = HeaderLength(count);
        for (var i = 0; i < count; i++)
        {
            lengths[i] = (i < head.Length ? head[i] : tail[i - head.Length]).ValueLength;
            size += BulkLength(lengths[i]);
        }

        var command = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        var span = command.AsSpan();
        length = WriteHeader(span, (byte)'*', count);
        for (var i = 0; i < count; i++)
        {
            length += (i < head.Length ? head[i] : tail[i - head.Length]).WriteBulk(span[length..], lengths[i]);
        }

        return command;
    }

    /// <summary>The argument as a RESP bulk string: <c>$len\r\nvalue\r\n</c>.</summary>
    public static int BulkLength(int valueLength) => HeaderLength(valueLength) + valueLength + 2;

    /// <summary>The length of <c>{prefix}{n}\r\n</c>.</summary>
    public static int HeaderLength(long n) => 1 + Digits(n) + 2;

    /// <summary>Writes <c>$len\r\nvalue\r\n</c>; the destination holds <see cref="BulkLength"/> bytes.</summary>
    public int WriteBulk(Span<byte> destination, int valueLength)
    {
        var at = WriteHeader(destination, (byte)'$', valueLength);
        if (text is not null)
        {
            at += Encoding.UTF8.GetBytes(text, destination[at..]);
        }
        else if (bytes is not null)
        {
            bytes.CopyTo(destination[at..]);
            at += bytes.Length;
        }
        else
        {
            at += Write(destination[at..], number);
        }

        destination[at++] = (byte)'\r';
        destination[at++] = (byte)'\n';
        return at;
    }

    /// <summary>Writes <c>{prefix}{n}\r\n</c> (an array's or a bulk string's header).</summary>
    public static int WriteHeader(Span<byte> destination, byte prefix, long n)
    {
        destination[0] = prefix;
        var at = 1 + Write(destination[1..], n);
        destination[at++] = (byte)'\r';
        destination[at++] = (byte)'\n';
        return at;
    }

    public static int Digits(long n)
    {
        var digits = n < 0 ? 2 : 1;
        for (var v = n < 0 ? -(n / 10) : n / 10; v != 0; v /= 10)
        {
            digits++;
        }

        return digits;
    }

    private static int Write(Span<byte> destination, long n) =>
        Utf8Formatter.TryFormat(n, destination, out var written) ? written : throw new InvalidOperationException("RESP argument buffer too small");
}
