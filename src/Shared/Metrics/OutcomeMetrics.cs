using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// A store's round trips by outcome and time: a counter with a <c>result</c> label (ok, error, timeout) and a
/// histogram, both labelled by what the caller names (module, operation). Cancelled work is not counted: the caller
/// gave up, the store did not fail. Used for Redis (<see cref="EdgeMetricNames.RedisOperationsTotal"/>) and
/// PostgreSQL (<see cref="PostgresMetrics"/>).
/// </summary>
public sealed class OutcomeMetrics(Meter meter, string totalName, string secondsName, string what, double[] buckets, Func<Exception, bool> timedOut)
{
    private readonly Counter<long> operations = meter.CreateCounter<long>(totalName, description: what + " by outcome");
    private readonly Histogram<double> seconds = meter.CreateHistogram(
        secondsName, unit: "s", description: what + " time", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    public void Succeeded(long started, in TagList labels) => Record("ok", started, labels);

    /// <summary>Counts a failed round trip; always false, so it can sit in an exception filter and let the exception go on.</summary>
    public bool Failed(long started, Exception error, in TagList labels)
    {
        if (error is not OperationCanceledException)
        {
            Record(timedOut(error) ? "timeout" : "error", started, labels);
        }

        return false;
    }

    private void Record(string result, long started, in TagList labels)
    {
        seconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, labels);
        var withResult = labels;
        withResult.Add("result", result);
        operations.Add(1, withResult);
    }
}
