namespace Calltracking.Shared.Metrics;

/// <summary>How an instrument's measurements aggregate into a Prometheus sample.</summary>
internal enum MetricKind
{
    /// <summary><c>Counter&lt;T&gt;</c>: measurements are increments; exposed as a Prometheus counter.</summary>
    Counter,

    /// <summary><c>UpDownCounter&lt;T&gt;</c>: increments that may be negative; exposed as a gauge.</summary>
    UpDownCounter,

    /// <summary><c>Gauge&lt;T&gt;</c>: the last recorded value.</summary>
    Gauge,

    /// <summary><c>Histogram&lt;T&gt;</c>: cumulative buckets, sum and count.</summary>
    Histogram,

    /// <summary><c>ObservableCounter&lt;T&gt;</c>: the callback reports the running total.</summary>
    ObservedCounter,

    /// <summary><c>ObservableGauge&lt;T&gt;</c> and <c>ObservableUpDownCounter&lt;T&gt;</c>: the callback reports the current value.</summary>
    ObservedGauge,
}
