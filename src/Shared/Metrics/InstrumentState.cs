using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// One Prometheus metric family: its pre-rendered header and name bytes, and its series keyed by label set.
/// Known label sets are found through an alternate lookup on the tag span (no allocation); a new label set takes
/// a lock once, and past <see cref="MetricsOptions.MaxSeriesPerInstrument"/> folds into the overflow series.
/// </summary>
internal sealed class InstrumentState
{
    private static readonly byte[] OverflowLabels = "overflow=\"true\""u8.ToArray();

    private readonly ConcurrentDictionary<SeriesKey, Series> _lookup = new(SeriesKeyComparer.Instance);
    private readonly ConcurrentDictionary<SeriesKey, Series>.AlternateLookup<TagSpan> _fastLookup;
    private readonly Dictionary<string, Series> _byLabels = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly int _maxSeries;
    private readonly byte[] _header;
    private readonly byte[][] _bucketLabels;
    private Series[] _items = new Series[8];
    private int _count;
    private Series? _overflow;
    private long _overflowed;

    public InstrumentState(string metricName, string help, MetricKind kind, double[] bounds, int maxSeries)
    {
        MetricName = metricName;
        Kind = kind;
        Bounds = kind == MetricKind.Histogram ? bounds : [];
        _maxSeries = maxSeries;
        _fastLookup = _lookup.GetAlternateLookup<TagSpan>();
        var type = kind switch
        {
            MetricKind.Counter or MetricKind.ObservedCounter => "counter",
            MetricKind.Histogram => "histogram",
            _ => "gauge",
        };
        _header = Encoding.UTF8.GetBytes($"# HELP {metricName} {PrometheusNames.EscapeHelp(help)}\n# TYPE {metricName} {type}\n");
        _bucketLabels = new byte[Bounds.Length + 1][];
        for (var i = 0; i < Bounds.Length; i++)
        {
            _bucketLabels[i] = Encoding.UTF8.GetBytes($"le=\"{Bounds[i].ToString(CultureInfo.InvariantCulture)}\"}} ");
        }

        _bucketLabels[Bounds.Length] = "le=\"+Inf\"} "u8.ToArray();
    }

    public string MetricName { get; }

    public MetricKind Kind { get; }

    public double[] Bounds { get; }

    public int SeriesCount => Volatile.Read(ref _count);

    /// <summary>Measurements that arrived with a new label set after the cap was reached.</summary>
    public long Overflowed => Interlocked.Read(ref _overflowed);

    public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, int generation)
    {
        switch (Kind)
        {
            case MetricKind.Counter:
                // A counter only goes up; a negative increment is a caller's bug and would read as a reset.
                if (value >= 0)
                {
                    Find(tags).Add(value);
                }

                break;
            case MetricKind.UpDownCounter:
                Find(tags).Add(value);
                break;
            default:
                Record((double)value, tags, generation);
                break;
        }
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, int generation)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        switch (Kind)
        {
            case MetricKind.Counter:
                if (value >= 0)
                {
                    Find(tags).Add(value);
                }

                break;
            case MetricKind.UpDownCounter:
                Find(tags).Add(value);
                break;
            case MetricKind.Gauge:
                Find(tags).Set(value);
                break;
            case MetricKind.Histogram:
                Find(tags).Record(value, Bounds);
                break;
            default:
                Find(tags).Observe(value, generation);
                break;
        }
    }

    /// <summary>Writes the family; observable series not reported in <paramref name="generation"/> are gone and left out.</summary>
    public void WriteTo(ExpositionBuffer buffer, int generation)
    {
        var count = Volatile.Read(ref _count);
        var items = Volatile.Read(ref _items);
        var observed = Kind is MetricKind.ObservedCounter or MetricKind.ObservedGauge;
        var headerWritten = false;
        for (var i = 0; i < count; i++)
        {
            var series = items[i];
            if (observed && series.Generation != generation)
            {
                continue;
            }

            if (!headerWritten)
            {
                buffer.Write(_header);
                headerWritten = true;
            }

            if (Kind == MetricKind.Histogram)
            {
                WriteHistogram(buffer, series);
                continue;
            }

            buffer.Write(series.Prefixes.Sample);
            if (Kind is MetricKind.Counter or MetricKind.UpDownCounter)
            {
                var fraction = series.DoubleValue;
                if (fraction == 0)
                {
                    buffer.WriteValue(series.LongValue);
                }
                else
                {
                    buffer.WriteValue(series.LongValue + fraction);
                }
            }
            else
            {
                buffer.WriteValue(series.DoubleValue);
            }

            buffer.Write((byte)'\n');
        }
    }

    private void WriteHistogram(ExpositionBuffer buffer, Series series)
    {
        var prefixes = series.Prefixes;
        long cumulative = 0;
        for (var b = 0; b <= Bounds.Length; b++)
        {
            cumulative += series.BucketCount(b);
            buffer.Write(prefixes.Bucket);
            buffer.Write(_bucketLabels[b]);
            buffer.WriteValue(cumulative);
            buffer.Write((byte)'\n');
        }

        buffer.Write(prefixes.Sum);
        buffer.WriteValue(series.Sum);
        buffer.Write((byte)'\n');
        // _count is the +Inf bucket, so the two always agree even while measurements land mid-scrape.
        buffer.Write(prefixes.Count);
        buffer.WriteValue(cumulative);
        buffer.Write((byte)'\n');
    }

    private Series Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_fastLookup.TryGetValue(new TagSpan(tags), out var series))
        {
            return series;
        }

        if (Volatile.Read(ref _count) >= _maxSeries)
        {
            Interlocked.Increment(ref _overflowed);
            return _overflow ?? CreateOverflow();
        }

        return Create(tags);
    }

    private Series Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_gate)
        {
            if (_fastLookup.TryGetValue(new TagSpan(tags), out var existing))
            {
                return existing;
            }

            if (_count >= _maxSeries)
            {
                Interlocked.Increment(ref _overflowed);
                return _overflow ?? CreateOverflow();
            }

            var key = new SeriesKey(tags);
            var labels = RenderLabels(key);
            // Two tag sets can render alike (the int 2 and the string "2"); one series keeps the family valid.
            if (!_byLabels.TryGetValue(labels, out var series))
            {
                series = NewSeries(Encoding.UTF8.GetBytes(labels));
                _byLabels.Add(labels, series);
                Append(series);
            }

            _lookup.TryAdd(key, series);
            return series;
        }
    }

    private Series CreateOverflow()
    {
        lock (_gate)
        {
            if (_overflow is null)
            {
                var overflow = NewSeries(OverflowLabels);
                Append(overflow);
                Volatile.Write(ref _overflow, overflow);
            }

            return _overflow;
        }
    }

    /// <param name="labels">The rendered label set without braces (<c>method="INVITE",class="2xx"</c>), empty for none.</param>
    private Series NewSeries(byte[] labels) =>
        new(SamplePrefixes.For(MetricName, labels, Kind == MetricKind.Histogram), Bounds.Length);

    /// <summary>Publishes the array before the count, so a scrape that reads the count then the array never indexes past it.</summary>
    private void Append(Series series)
    {
        if (_count == _items.Length)
        {
            var bigger = new Series[_items.Length * 2];
            Array.Copy(_items, bigger, _count);
            Volatile.Write(ref _items, bigger);
        }

        _items[_count] = series;
        Volatile.Write(ref _count, _count + 1);
    }

    private string RenderLabels(SeriesKey key)
    {
        var builder = new StringBuilder();
        var seen = new List<string>(key.Names.Length);
        for (var i = 0; i < key.Names.Length; i++)
        {
            var name = PrometheusNames.LabelName(key.Names[i]);
            if (name.StartsWith("__", StringComparison.Ordinal) || (Kind == MetricKind.Histogram && name == "le"))
            {
                // "__" is reserved for Prometheus itself and "le" carries the bucket bound.
                name = "exported_" + name.TrimStart('_');
            }

            if (seen.Contains(name))
            {
                continue;
            }

            seen.Add(name);
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(name).Append("=\"").Append(PrometheusNames.EscapeLabelValue(FormatValue(key.Values[i]))).Append('"');
        }

        return builder.ToString();
    }

    private static string FormatValue(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
