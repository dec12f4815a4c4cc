using System.Diagnostics.Metrics;
using System.Globalization;
using Calltracking.Shared.Metrics;
using Dapper;
using Microsoft.Extensions.Hosting;
using Npgsql;
using StackExchange.Redis;

namespace Calltracking.Edge.NumberPool.Leases;

/// <summary>
/// <c>edge_pool_numbers</c> and <c>edge_pool_numbers_leased</c> per dynamic script, read from Redis (so every edge
/// shows the pool as all edges use it) when a scrape finds the last reading older than 10 s (see
/// <see cref="RefreshedOnRead{T}"/>). A hosted service only so the gauges exist from start.
/// </summary>
public sealed class PoolGauges : IHostedService
{
    private readonly RefreshedOnRead<IReadOnlyList<PoolReading>> readings;

    public PoolGauges(NpgsqlDataSource dataSource, IConnectionMultiplexer redis, IMeterFactory meters, TimeProvider time)
    {
        readings = new RefreshedOnRead<IReadOnlyList<PoolReading>>(ct => ReadAsync(dataSource, redis, ct), [], TimeSpan.FromSeconds(10), time);
        var meter = meters.Create("Calltracking.Edge.NumberPool");
        meter.CreateObservableGauge(EdgeMetricNames.PoolNumbers, () => Measure(static r => r.Numbers), description: "Numbers in the script's pool");
        meter.CreateObservableGauge(EdgeMetricNames.PoolNumbersLeased, () => Measure(static r => r.Leased), description: "Numbers of the script's pool leased to visits now");
    }

    /// <summary>One script's pool as last read.</summary>
    public sealed record PoolReading(long ScriptId, long Numbers, long Leased);

    /// <summary>Reads the pools now (tests; scrapes reload on their own).</summary>
    public async Task<IReadOnlyList<PoolReading>> ReadNowAsync()
    {
        await readings.ReloadAsync();
        return readings.Value;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<Measurement<long>> Measure(Func<PoolReading, long> value) =>
        readings.Value.Select(r => new Measurement<long>(value(r), new KeyValuePair<string, object?>("script", r.ScriptId.ToString(CultureInfo.InvariantCulture))));

    private static async Task<IReadOnlyList<PoolReading>> ReadAsync(NpgsqlDataSource dataSource, IConnectionMultiplexer redis, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var scripts = (await connection.QueryAsync<(long Id, long ProjectId)>(new CommandDefinition(
            "SELECT id, project_id FROM scripts WHERE calltracking_type = 'dynamic' AND is_enabled AND NOT is_deleted ORDER BY id",
            cancellationToken: cancellationToken))).AsList();
        var db = redis.GetDatabase();
        var batch = db.CreateBatch();
        var counts = scripts.Select(s =>
        {
            var prefix = LeaseStore.Prefix(s.ProjectId);
            var id = s.Id.ToString(CultureInfo.InvariantCulture);
            return (s.Id, Pool: batch.SetLengthAsync(prefix + "pool:" + id), Leased: batch.SortedSetLengthAsync(prefix + "leased:" + id));
        }).ToList();
        batch.Execute();
        var readings = new List<PoolReading>(counts.Count);
        foreach (var (id, pool, leased) in counts)
        {
            // The pool set holds a marker besides the numbers (an initialised empty pool is not a missing one).
            readings.Add(new PoolReading(id, Math.Max(0, await pool - 1), await leased));
        }

        return readings;
    }
}
