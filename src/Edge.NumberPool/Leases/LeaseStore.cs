using System.Globalization;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Shared.Routing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Calltracking.Edge.NumberPool.Leases;

/// <summary>How a visit got its number.</summary>
public enum LeaseKind
{
    Exclusive,
    Renewed,
    Shared,
    Fallback,
    Empty,
}

public sealed record LeaseResult(string? Number, LeaseKind Kind);

/// <summary>Leases of pool numbers to visits, atomic by Lua in Redis (see <see cref="LeaseScripts"/>).</summary>
public sealed class LeaseStore(IConnectionMultiplexer redis, CatalogueStore catalogue, IOptions<PoolOptions> options, TimeProvider time)
{
    public static string Prefix(long projectId) => string.Create(CultureInfo.InvariantCulture, $"ct:{{p{projectId}}}:");

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private long LateWindowMs => options.Value.LateCallWindowMinutes * 60_000L;

    public async Task<LeaseResult> AcquireAsync(ScriptRecord script, string visitId)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
                LeaseScripts.Acquire,
                [Prefix(script.ProjectId)],
                [script.Id, visitId, Now, script.LeaseGraceSeconds * 1000L, script.LeaseMaxAgeSeconds * 1000L, script.ExhaustedPolicy, LateWindowMs]))!;
            var number = (string?)result[0];
            switch ((string?)result[1])
            {
                case "uninitialised":
                    // Redis lost the pool (restart, failover) or never had it: load it from the catalogue and retry.
                    await SyncPoolAsync(script.ProjectId, script.Id, await catalogue.ScriptNumbersAsync(script.ProjectId, script.Id, CancellationToken.None));
                    continue;
                case "exclusive":
                    return new LeaseResult(number, LeaseKind.Exclusive);
                case "renewed":
                    return new LeaseResult(number, LeaseKind.Renewed);
                case "shared":
                    return new LeaseResult(number, LeaseKind.Shared);
                case "fallback":
                    return new LeaseResult(script.FallbackPhone, LeaseKind.Fallback);
                default:
                    return new LeaseResult(script.FallbackPhone, LeaseKind.Empty);
            }
        }

        return new LeaseResult(script.FallbackPhone, LeaseKind.Empty);
    }

    public async Task<int> HeartbeatAsync(long projectId, string visitId) =>
        (int)await redis.GetDatabase().ScriptEvaluateAsync(LeaseScripts.Heartbeat, [Prefix(projectId)], [visitId, Now]);

    public async Task SyncPoolAsync(long projectId, long scriptId, IReadOnlyList<string> numbers)
    {
        var values = new RedisValue[numbers.Count + 1];
        values[0] = scriptId;
        for (var i = 0; i < numbers.Count; i++)
        {
            values[i + 1] = numbers[i];
        }

        await redis.GetDatabase().ScriptEvaluateAsync(LeaseScripts.SyncPool, [Prefix(projectId)], values);
    }

    /// <summary>Who held <paramref name="number"/> at <paramref name="at"/> (now, for a live call).</summary>
    public async Task<(string? VisitId, AttributionConfidence Confidence)> ResolveAsync(long projectId, string number, DateTimeOffset at)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
            LeaseScripts.Resolve, [Prefix(projectId)], [number, at.ToUnixTimeMilliseconds(), LateWindowMs]))!;
        var visit = (string?)result[0];
        return (string?)result[1] switch
        {
            "exclusive" => (visit, AttributionConfidence.Exclusive),
            "shared" => (visit, AttributionConfidence.Shared),
            "late" => (visit, AttributionConfidence.Late),
            _ => (null, AttributionConfidence.None),
        };
    }

    public async Task StoreVisitAsync(long projectId, string visitId, IReadOnlyDictionary<string, string?> fields)
    {
        var key = Prefix(projectId) + "visit:" + visitId;
        var entries = fields.Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => new HashEntry("f:" + f.Key, f.Value)).ToArray();
        var db = redis.GetDatabase();
        if (entries.Length > 0)
        {
            await db.HashSetAsync(key, entries);
        }
        else
        {
            await db.HashSetAsync(key, "f:_", "1");
        }

        await db.KeyExpireAsync(key, TimeSpan.FromHours(options.Value.VisitTtlHours));
    }

    public async Task<Dictionary<string, string>> VisitFieldsAsync(long projectId, string visitId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(Prefix(projectId) + "visit:" + visitId);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var name = (string)entry.Name!;
            if (name.StartsWith("f:", StringComparison.Ordinal) && name != "f:_")
            {
                fields[name[2..]] = entry.Value!;
            }
        }

        return fields;
    }

    public async Task<bool> VisitExistsAsync(long projectId, string visitId) =>
        await redis.GetDatabase().KeyExistsAsync(Prefix(projectId) + "visit:" + visitId);

    /// <summary>Lease counters of a script: exclusive, shared, fallback hand-outs and the peak of numbers in use.</summary>
    public async Task<(long Exclusive, long Shared, long Fallback, long Peak, long InUse, long PoolSize)> StatsAsync(long projectId, long scriptId)
    {
        var db = redis.GetDatabase();
        var prefix = Prefix(projectId);
        var stats = await db.HashGetAsync(prefix + "stats:" + scriptId.ToString(CultureInfo.InvariantCulture), ["exclusive", "shared", "fallback", "peak"]);
        var inUse = await db.SortedSetLengthAsync(prefix + "leased:" + scriptId.ToString(CultureInfo.InvariantCulture));
        var pool = await db.SetLengthAsync(prefix + "pool:" + scriptId.ToString(CultureInfo.InvariantCulture));
        return ((long?)stats[0] ?? 0, (long?)stats[1] ?? 0, (long?)stats[2] ?? 0, (long?)stats[3] ?? 0, inUse, Math.Max(0, pool - 1));
    }
}
