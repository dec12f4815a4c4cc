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
    private readonly OutcomeMetrics outcomes;
    private readonly Counter<long> leases;

    public LeaseMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Calltracking.Edge.NumberPool");
        outcomes = new OutcomeMetrics(
            meter,
            EdgeMetricNames.RedisOperationsTotal,
            EdgeMetricNames.RedisOperationSeconds,
            "Redis round trips of the number pool",
            [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
            static error => error is TimeoutException or StackExchange.Redis.RedisTimeoutException or RedisScriptException { TimedOut: true });
        leases = meter.CreateCounter<long>(EdgeMetricNames.PoolLeasesTotal, description: "Numbers handed to visits; shared means the pool was exhausted");
    }

    public void Succeeded(string operation, long started) => outcomes.Succeeded(started, Labels(operation));

    /// <summary>Counts a failed round trip; always false, so it can sit in an exception filter and let the exception go on.</summary>
    public bool Failed(string operation, long started, Exception error) => outcomes.Failed(started, error, Labels(operation));

    public void Leased(long scriptId, LeaseKind kind)
    {
        if (kind is LeaseKind.Exclusive or LeaseKind.Shared)
        {
            leases.Add(1, new KeyValuePair<string, object?>("script", scriptId.ToString(CultureInfo.InvariantCulture)), new KeyValuePair<string, object?>("kind", kind == LeaseKind.Shared ? "shared" : "exclusive"));
        }
    }

    private static TagList Labels(string operation) => new() { { "operation", operation } };
}
