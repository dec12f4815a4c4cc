using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// PostgreSQL statements by outcome and time (<c>edge_postgres_operations_total</c>,
/// <c>edge_postgres_operation_seconds</c>), labelled by module and a short fixed operation name. Recorded where the
/// edge's steady work meets PostgreSQL: storing call records, routing lookups, webhook deliveries, API keys.
/// </summary>
public sealed class PostgresMetrics
{
    private readonly Counter<long> operations;
    private readonly Histogram<double> seconds;

    public PostgresMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Calltracking.Edge.Postgres");
        operations = meter.CreateCounter<long>(EdgeMetricNames.PostgresOperationsTotal, description: "PostgreSQL statements by outcome");
        seconds = meter.CreateHistogram(
            EdgeMetricNames.PostgresOperationSeconds,
            unit: "s",
            description: "PostgreSQL statement time",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    public void Succeeded(string module, string operation, long started) => Record(module, operation, "ok", started);

    /// <summary>Counts a failed statement; always false, so it can sit in an exception filter and let the exception go on.</summary>
    public bool Failed(string module, string operation, long started, Exception error)
    {
        if (error is OperationCanceledException)
        {
            return false; // the caller gave up (shutdown, client gone): not the database's failure
        }

        var timedOut = error is TimeoutException || error.InnerException is TimeoutException;
        Record(module, operation, timedOut ? "timeout" : "error", started);
        return false;
    }

    private void Record(string module, string operation, string result, long started)
    {
        var moduleTag = new KeyValuePair<string, object?>("module", module);
        var operationTag = new KeyValuePair<string, object?>("operation", operation);
        operations.Add(1, moduleTag, operationTag, new KeyValuePair<string, object?>("result", result));
        seconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, moduleTag, operationTag);
    }
}
