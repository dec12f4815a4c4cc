namespace Calltracking.Shared.Metrics;

/// <summary>
/// Settings of the Prometheus exposition (configuration section <c>Metrics</c>).
/// Bucket boundaries are in the instrument's own unit (seconds for <c>*_seconds</c> histograms).
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Meters whose name is this or starts with this plus a dot are exposed.</summary>
    public string MeterPrefix { get; set; } = "Calltracking.Edge";

    /// <summary>
    /// Distinct label sets kept per instrument. Past it, measurements are folded into one series labelled
    /// <c>overflow="true"</c> and counted in <c>edge_metrics_series_overflow_total</c>, so a label that turns out to carry
    /// an unbounded value (a phone number, a visit id) costs one series, not memory without limit.
    /// </summary>
    public int MaxSeriesPerInstrument { get; set; } = 2000;

    /// <summary>Upper bounds used by histograms that have neither an entry in <see cref="HistogramBuckets"/> nor advice from their instrument.</summary>
    public double[] DefaultHistogramBuckets { get; set; } = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Upper bounds per instrument name (either the instrument's name or its Prometheus name).</summary>
    public Dictionary<string, double[]> HistogramBuckets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Adds <c>process_*</c> and <c>dotnet_*</c> families (CPU, memory, open files, GC, thread pool) to every scrape.</summary>
    public bool IncludeProcessMetrics { get; set; } = true;
}
