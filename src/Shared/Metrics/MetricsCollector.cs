using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// Listens to every <see cref="Meter"/> named <see cref="MetricsOptions.MeterPrefix"/> (or below it) and renders
/// their instruments as the Prometheus text exposition format 0.0.4. Recording happens on the caller's thread,
/// lock-free for a known label set; <see cref="Scrape"/> renders into a pooled buffer.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    private readonly MetricsOptions _options;
    private readonly MeterListener _listener;
    private readonly ProcessMetrics? _process;
    private readonly Lock _publishGate = new();
    private readonly Dictionary<string, InstrumentState> _byName = new(StringComparer.Ordinal);
    private readonly Lock _scrapeGate = new();
    private InstrumentState[] _families = [];
    private int _generation;
    private int _expectedSize = 16 * 1024;
    private readonly object? _scope;
    private long _conflicts;
    private long _observationErrors;

    /// <param name="options">The settings, validated here too.</param>
    /// <param name="scope">
    /// The host's <c>IMeterFactory</c>: meters it created carry it as <see cref="Meter.Scope"/>, so meters of another
    /// host in the same process (test servers side by side) stay out. Meters created without a factory (scope null) are
    /// always taken. Null takes every meter under the prefix.
    /// </param>
    public MetricsCollector(IOptions<MetricsOptions> options, object? scope = null)
        : this(options.Value, scope)
    {
    }

    public MetricsCollector(MetricsOptions options, object? scope = null)
    {
        var validation = new MetricsOptionsValidation().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(MetricsOptions.Section, typeof(MetricsOptions), validation.Failures);
        }

        _options = options;
        _scope = scope;
        _process = options.IncludeProcessMetrics ? new ProcessMetrics() : null;
        _listener = new MeterListener { InstrumentPublished = OnInstrumentPublished };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => RecordDouble(state, value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => RecordDouble(state, value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => RecordDouble(state, (double)value, tags));
        _listener.Start();
    }

    /// <summary>Renders every family. Scrapes are serialised: observable callbacks run once per scrape.</summary>
    public MetricsScrape Scrape()
    {
        lock (_scrapeGate)
        {
            var generation = Interlocked.Increment(ref _generation);
            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (AggregateException)
            {
                // A failing callback loses its own series for this scrape, never the whole scrape.
                Interlocked.Increment(ref _observationErrors);
            }

            var buffer = new ExpositionBuffer(_expectedSize);
            try
            {
                var families = Volatile.Read(ref _families);
                foreach (var family in families)
                {
                    family.WriteTo(buffer, generation);
                }

                WriteSelfMetrics(buffer, families);
                _process?.WriteTo(buffer);
                _expectedSize = buffer.Length + (buffer.Length / 8);
                var length = buffer.Length;
                return new MetricsScrape(buffer.Detach(), length);
            }
            catch
            {
                buffer.Return();
                throw;
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    internal int Generation => Volatile.Read(ref _generation);

    private static void Record(object? state, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is Subscription subscription)
        {
            subscription.Family.Record(value, tags, subscription.Collector.Generation);
        }
    }

    private static void RecordDouble(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is Subscription subscription)
        {
            subscription.Family.Record(value, tags, subscription.Collector.Generation);
        }
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        var meter = instrument.Meter.Name;
        var prefix = _options.MeterPrefix;
        if (!(meter == prefix || (meter.StartsWith(prefix, StringComparison.Ordinal) && meter.Length > prefix.Length && meter[prefix.Length] == '.')))
        {
            return;
        }

        if (_scope is not null && instrument.Meter.Scope is { } meterScope && !ReferenceEquals(meterScope, _scope))
        {
            return;
        }

        if (KindOf(instrument) is not { } kind)
        {
            return;
        }

        var metricName = PrometheusNames.MetricName(instrument.Name);
        if (kind is MetricKind.Counter or MetricKind.ObservedCounter)
        {
            metricName = PrometheusNames.CounterName(metricName);
        }

        InstrumentState family;
        lock (_publishGate)
        {
            if (_byName.TryGetValue(metricName, out var existing))
            {
                // A second instrument of the same name and kind (another Meter instance of the same module)
                // adds into the same series; a different kind cannot share a family and is left out.
                if (existing.Kind != kind)
                {
                    Interlocked.Increment(ref _conflicts);
                    return;
                }

                family = existing;
            }
            else
            {
                family = new InstrumentState(metricName, HelpOf(instrument), kind, BoundsOf(instrument, metricName), _options.MaxSeriesPerInstrument);
                _byName.Add(metricName, family);
                var families = new InstrumentState[_families.Length + 1];
                _families.CopyTo(families, 0);
                families[^1] = family;
                Array.Sort(families, static (x, y) => string.CompareOrdinal(x.MetricName, y.MetricName));
                Volatile.Write(ref _families, families);
            }
        }

        listener.EnableMeasurementEvents(instrument, new Subscription(family, this));
    }

    private void WriteSelfMetrics(ExpositionBuffer buffer, InstrumentState[] families)
    {
        buffer.Write("# HELP edge_metrics_series Series held per metric family.\n# TYPE edge_metrics_series gauge\n"u8);
        foreach (var family in families)
        {
            WriteFamilySample(buffer, "edge_metrics_series"u8, family.MetricName, family.SeriesCount);
        }

        buffer.Write("# HELP edge_metrics_series_overflow_total Measurements folded into the overflow series because the family reached Metrics:MaxSeriesPerInstrument.\n# TYPE edge_metrics_series_overflow_total counter\n"u8);
        foreach (var family in families)
        {
            WriteFamilySample(buffer, "edge_metrics_series_overflow_total"u8, family.MetricName, family.Overflowed);
        }

        buffer.Write("# HELP edge_metrics_instrument_conflicts_total Instruments left out because another instrument of a different kind has their name.\n# TYPE edge_metrics_instrument_conflicts_total counter\nedge_metrics_instrument_conflicts_total "u8);
        buffer.WriteValue(Interlocked.Read(ref _conflicts));
        buffer.Write("\n# HELP edge_metrics_observation_errors_total Scrapes in which an observable instrument's callback threw.\n# TYPE edge_metrics_observation_errors_total counter\nedge_metrics_observation_errors_total "u8);
        buffer.WriteValue(Interlocked.Read(ref _observationErrors));
        buffer.Write((byte)'\n');
    }

    private static void WriteFamilySample(ExpositionBuffer buffer, ReadOnlySpan<byte> name, string family, long value)
    {
        buffer.Write(name);
        buffer.Write("{metric=\""u8);
        Span<byte> scratch = stackalloc byte[256];
        // Family names are [a-zA-Z0-9_:] only, so they need no escaping; longer ones are cut rather than failing a scrape.
        var written = Encoding.ASCII.GetBytes(family.AsSpan(0, Math.Min(family.Length, scratch.Length)), scratch);
        buffer.Write(scratch[..written]);
        buffer.Write("\"} "u8);
        buffer.WriteValue(value);
        buffer.Write((byte)'\n');
    }

    private double[] BoundsOf(Instrument instrument, string metricName)
    {
        if (_options.HistogramBuckets.TryGetValue(instrument.Name, out var configured)
            || _options.HistogramBuckets.TryGetValue(metricName, out configured))
        {
            return configured;
        }

        var advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b).ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b).ToArray(),
            _ => null,
        };
        return advised is { Length: > 0 } && IsStrictlyIncreasing(advised) ? advised : _options.DefaultHistogramBuckets;
    }

    private static bool IsStrictlyIncreasing(double[] bounds)
    {
        for (var i = 0; i < bounds.Length; i++)
        {
            if (!double.IsFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            {
                return false;
            }
        }

        return true;
    }

    private static string HelpOf(Instrument instrument)
    {
        var help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
        return string.IsNullOrWhiteSpace(instrument.Unit) ? help : string.Create(CultureInfo.InvariantCulture, $"{help} (unit: {instrument.Unit})");
    }

    private static MetricKind? KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Counter<>))
        {
            return MetricKind.Counter;
        }

        if (definition == typeof(UpDownCounter<>))
        {
            return MetricKind.UpDownCounter;
        }

        if (definition == typeof(Gauge<>))
        {
            return MetricKind.Gauge;
        }

        if (definition == typeof(Histogram<>))
        {
            return MetricKind.Histogram;
        }

        if (definition == typeof(ObservableCounter<>))
        {
            return MetricKind.ObservedCounter;
        }

        if (definition == typeof(ObservableGauge<>) || definition == typeof(ObservableUpDownCounter<>))
        {
            return MetricKind.ObservedGauge;
        }

        return null;
    }

    /// <summary>The listener's per-instrument state: which family the measurements go to.</summary>
    private sealed record Subscription(InstrumentState Family, MetricsCollector Collector);
}
