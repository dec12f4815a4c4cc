using System.Buffers;
using System.Globalization;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// The UTF-8 text of one scrape, written into an array rented from <see cref="ArrayPool{T}.Shared"/>.
/// Growth doubles and returns the old array, so a scrape of steady size rents once.
/// </summary>
internal sealed class ExpositionBuffer
{
    private byte[] _buffer;
    private int _written;

    public ExpositionBuffer(int initialSize) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialSize, 4096));

    public int Length => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>Hands the rented array to the caller, who returns it to the pool.</summary>
    public byte[] Detach()
    {
        var buffer = _buffer;
        _buffer = [];
        return buffer;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_written));
        _written += bytes.Length;
    }

    public void Write(byte b)
    {
        Ensure(1);
        _buffer[_written++] = b;
    }

    /// <summary>Writes a sample value: Prometheus spells the specials <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public void WriteValue(double value)
    {
        if (double.IsNaN(value))
        {
            Write("NaN"u8);
        }
        else if (double.IsPositiveInfinity(value))
        {
            Write("+Inf"u8);
        }
        else if (double.IsNegativeInfinity(value))
        {
            Write("-Inf"u8);
        }
        else
        {
            Ensure(32);
            // The default format is the shortest string that round-trips; Go's ParseFloat reads its exponent form.
            value.TryFormat(_buffer.AsSpan(_written), out var n, default, CultureInfo.InvariantCulture);
            _written += n;
        }
    }

    public void WriteValue(long value)
    {
        Ensure(20);
        value.TryFormat(_buffer.AsSpan(_written), out var n, default, CultureInfo.InvariantCulture);
        _written += n;
    }

    public void Return()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void Ensure(int count)
    {
        if (_buffer.Length - _written >= count)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + count));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}
