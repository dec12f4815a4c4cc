using System.Buffers.Text;
using System.Text;

namespace Calltracking.Edge.NumberPool.Redis;

/// <summary>One argument of a Redis command: a string (sent as UTF-8) or a number (sent as its decimal digits).</summary>
public readonly struct RespArg
{
    private readonly string? text;
    private readonly long number;

    private RespArg(string? text, long number)
    {
        this.text = text;
        this.number = number;
    }

    public static implicit operator RespArg(string text) => new(text ?? string.Empty, 0);

    public static implicit operator RespArg(long number) => new(null, number);

    /// <summary>The bytes of the argument's value.</summary>
    public int ValueLength => text is null ? Digits(number) : Encoding.UTF8.GetByteCount(text);

    /// <summary>The argument as a RESP bulk string: <c>$len\r\nvalue\r\n</c>.</summary>
    public static int BulkLength(int valueLength) => HeaderLength(valueLength) + valueLength + 2;

    /// <summary>The length of <c>{prefix}{n}\r\n</c>.</summary>
    public static int HeaderLength(long n) => 1 + Digits(n) + 2;

    /// <summary>Writes <c>$len\r\nvalue\r\n</c>; the destination holds <see cref="BulkLength"/> bytes.</summary>
    public int WriteBulk(Span<byte> destination, int valueLength)
    {
        var at = WriteHeader(destination, (byte)'$', valueLength);
        at += text is null
            ? Write(destination[at..], number)
            : Encoding.UTF8.GetBytes(text, destination[at..]);
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
