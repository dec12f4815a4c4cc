using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Calltracking.Edge.NumberPool.Redis;
using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.NumberPool.Leases;

/// <summary>
/// The number pool's Redis round trips (<c>edge_redis_operations_total</c>, <c>edge_redis_operation_seconds</c>, by
/// operation: lease, renew, resolve, catalogue, other: visits stored and read, peak demand) and the numbers it hands out (<c>edge_pool_leases_total</c>).
/// </summary>
public sealed class LeaseMetrics
{
    private readonly Counter<long> operations;
    private readonly Histogram<double> seconds;
    private readonly Counter<long> leases;

    public LeaseMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Calltracking.Edge.NumberPool");
        operations = meter.CreateCounter<long>(EdgeMetricNames.RedisOperationsTotal, description: "Redis round trips of the number pool by outcome");
        seconds = meter.CreateHistogram(
            EdgeMetricNames.RedisOperationSeconds,
            unit: "s",
            description: "Redis round-trip time of the number pool",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        leases = meter.CreateCounter<long>(EdgeMetricNames.PoolLeasesTotal, description: "Numbers handed to visits; shared means the pool was exhausted");
    }

    public void Succeeded(string operation, long started) => Record(operation, "ok", started);

    /// <summary>Counts a failed round trip; always false, so it can sit in an exception filter and let the exception go on.</summary>
    public bool Failed(string operation, long started, Exception error)
    {
        var timedOut = error is TimeoutException or StackExchange.Redis.RedisTimeoutException or RedisScriptException { TimedOut: true };
        Record(operation, timedOut ? "timeout" : "error", started);
        return false;
    }

    public void Leased(long scriptId, LeaseKind kind)
    {
        if (kind is LeaseKind.Exclusive or LeaseKind.Shared)
        {
            leases.Add(1, new KeyValuePair<string, object?>("script", scriptId.ToString(CultureInfo.InvariantCulture)), new KeyValuePair<string, object?>("kind", kind == LeaseKind.Shared ? "shared" : "exclusive"));
        }
    }

    private void Record(string operation, string result, long started)
    {
        var tag = new KeyValuePair<string, object?>("operation", operation);
        operations.Add(1, tag, new KeyValuePair<string, object?>("result", result));
        seconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
    }
}
