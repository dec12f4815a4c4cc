using System.Buffers;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// One scrape's text (exposition format 0.0.4, UTF-8) in a pooled array. Dispose it once written out:
/// the array goes back to the pool.
/// </summary>
public sealed class MetricsScrape : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private byte[]? _buffer;
    private readonly int _length;

    internal MetricsScrape(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    public ReadOnlyMemory<byte> Content =>
        _buffer is { } buffer ? buffer.AsMemory(0, _length) : throw new ObjectDisposedException(nameof(MetricsScrape));

    public override string ToString() => System.Text.Encoding.UTF8.GetString(Content.Span);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
