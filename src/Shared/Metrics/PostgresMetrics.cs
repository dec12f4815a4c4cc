using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// PostgreSQL statements by outcome and time (<c>edge_postgres_operations_total</c>,
/// <c>edge_postgres_operation_seconds</c>), labelled by module and a short fixed operation name. Recorded where the
/// edge's steady work meets PostgreSQL: storing call records, routing lookups, webhook deliveries, API keys.
/// </summary>
public sealed class PostgresMetrics(IMeterFactory meters)
{
    private readonly OutcomeMetrics outcomes = new(
        meters.Create("Calltracking.Edge.Postgres"),
        EdgeMetricNames.PostgresOperationsTotal,
        EdgeMetricNames.PostgresOperationSeconds,
        "PostgreSQL statements",
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        static error => error is TimeoutException || error.InnerException is TimeoutException);

    public void Succeeded(string module, string operation, long started) => outcomes.Succeeded(started, Labels(module, operation));

    /// <summary>Counts a failed statement; always false, so it can sit in an exception filter and let the exception go on.</summary>
    public bool Failed(string module, string operation, long started, Exception error) => outcomes.Failed(started, error, Labels(module, operation));

    private static TagList Labels(string module, string operation) => new() { { "module", module }, { "operation", operation } };
}
