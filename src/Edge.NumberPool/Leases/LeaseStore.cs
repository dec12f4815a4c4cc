using System.Diagnostics;
using System.Globalization;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Shared.Routing;
using Microsoft.Extensions.Options;
using Calltracking.Edge.NumberPool.Redis;
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

    /// <summary>Redis holds no visit by that id (expired or never stored): nothing was leased.</summary>
    UnknownVisit,
}

public sealed record LeaseResult(string? Number, LeaseKind Kind);

/// <summary>The visit a number was traced to, how surely, and the visit's hot fields (empty when none).</summary>
public sealed record LeaseResolution(string? VisitId, AttributionConfidence Confidence, IReadOnlyDictionary<string, string> Fields)
{
    public static LeaseResolution None { get; } = new(null, AttributionConfidence.None, new Dictionary<string, string>());
}

/// <summary>
/// Leases of pool numbers to visits, atomic by Lua in Redis (see <see cref="LeaseScripts"/>). The scripts of the hot
/// paths (a page view's lease and heartbeat, an INVITE's attribution) go through <paramref name="scripts"/> when given
/// (see <see cref="RedisScriptConnection"/>); the rest, and all of them without it, through the multiplexer.
/// </summary>
public sealed class LeaseStore(IConnectionMultiplexer redis, CatalogueStore catalogue, IOptions<PoolOptions> options, TimeProvider time, RedisScriptConnection? scripts = null, LeaseMetrics? metrics = null)
{
    private static readonly HashedLuaScript AcquireScript = new(LeaseScripts.Acquire);
    private static readonly HashedLuaScript HeartbeatScript = new(LeaseScripts.Heartbeat);
    private static readonly HashedLuaScript SyncPoolScript = new(LeaseScripts.SyncPool);
    private static readonly HashedLuaScript ResolveScript = new(LeaseScripts.Resolve);
    private static readonly HashedLuaScript PeakDemandScript = new(LeaseScripts.PeakDemand);

    public static string Prefix(long projectId) => string.Create(CultureInfo.InvariantCulture, $"ct:{{p{projectId}}}:");

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private long LateWindowMs => options.Value.LateCallWindowMinutes * 60_000L;

    private long HistoryMs => Math.Max(options.Value.LeaseHistoryHours * 3_600_000L, LateWindowMs);

    private long CallerMemoryMs => options.Value.CallerMemoryDays * 86_400_000L;

    /// <summary>
    /// Leases a number of <paramref name="script"/> to the visit. With <paramref name="requireVisit"/>, a visit Redis
    /// does not hold gets <see cref="LeaseKind.UnknownVisit"/> and nothing changes, so the caller can restore it first.
    /// </summary>
    public async Task<LeaseResult> AcquireAsync(ScriptRecord script, string visitId, bool requireVisit = false)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            string? number, kind;
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (scripts is not null)
                {
                    var reply = (await scripts.EvalAsync(
                        AcquireScript,
                        Prefix(script.ProjectId),
                        script.Id, visitId, Now, script.LeaseGraceSeconds * 1000L, script.LeaseMaxAgeSeconds * 1000L, script.ExhaustedPolicy, HistoryMs, requireVisit ? "1" : "0")).AsArray();
                    (number, kind) = (reply[0].AsString(), reply[1].AsString());
                }
                else
                {
                    var result = (RedisResult[])(await redis.GetDatabase().EvaluateAsync(
                        AcquireScript,
                        [Prefix(script.ProjectId)],
                        [script.Id, visitId, Now, script.LeaseGraceSeconds * 1000L, script.LeaseMaxAgeSeconds * 1000L, script.ExhaustedPolicy, HistoryMs, requireVisit ? "1" : "0"]))!;
                    (number, kind) = ((string?)result[0], (string?)result[1]);
                }
            }
            catch (Exception ex) when (metrics?.Failed("lease", started, ex) == true)
            {
                throw;
            }

            metrics?.Succeeded("lease", started);
            var leased = Kind(kind);
            if (leased == LeaseKind.Empty && kind == "uninitialised")
            {
                // Redis lost the pool (restart, failover) or never had it: load it from the catalogue and retry.
                await SyncPoolAsync(script.ProjectId, script.Id, await catalogue.ScriptNumbersAsync(script.ProjectId, script.Id, CancellationToken.None));
                continue;
            }

            metrics?.Leased(script.Id, leased);
            return leased switch
            {
                LeaseKind.UnknownVisit => new LeaseResult(null, leased),
                LeaseKind.Fallback or LeaseKind.Empty => new LeaseResult(script.FallbackPhone, leased),
                _ => new LeaseResult(number, leased),
            };
        }

        return new LeaseResult(script.FallbackPhone, LeaseKind.Empty);
    }

    private static LeaseKind Kind(string? kind) => kind switch
    {
        "exclusive" => LeaseKind.Exclusive,
        "renewed" => LeaseKind.Renewed,
        "shared" => LeaseKind.Shared,
        "novisit" => LeaseKind.UnknownVisit,
        "fallback" => LeaseKind.Fallback,
        _ => LeaseKind.Empty,
    };

    public async Task<int> HeartbeatAsync(long projectId, string visitId)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var renewed = scripts is not null
                ? (int)(await scripts.EvalAsync(HeartbeatScript, Prefix(projectId), visitId, Now)).AsInt64()
                : (int)await redis.GetDatabase().EvaluateAsync(HeartbeatScript, [Prefix(projectId)], [visitId, Now]);
            metrics?.Succeeded("renew", started);
            return renewed;
        }
        catch (Exception ex) when (metrics?.Failed("renew", started, ex) == true)
        {
            throw;
        }
    }

    public async Task SyncPoolAsync(long projectId, long scriptId, IReadOnlyList<string> numbers)
    {
        var values = new RedisValue[numbers.Count + 1];
        values[0] = scriptId;
        for (var i = 0; i < numbers.Count; i++)
        {
            values[i + 1] = numbers[i];
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await redis.GetDatabase().EvaluateAsync(SyncPoolScript, [Prefix(projectId)], values);
            metrics?.Succeeded("catalogue", started);
        }
        catch (Exception ex) when (metrics?.Failed("catalogue", started, ex) == true)
        {
            throw;
        }
    }

    /// <summary>
    /// Who held <paramref name="number"/> at <paramref name="at"/> (now, for a live call), preferring among the holders of
    /// a shared number the visit <paramref name="caller"/> was attributed to before; one round trip, fields included.
    /// </summary>
    public async Task<LeaseResolution> ResolveAsync(long projectId, string number, DateTimeOffset at, string? caller = null)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            LeaseResolution resolution;
            if (scripts is not null)
            {
                var reply = (await scripts.EvalAsync(
                    ResolveScript, Prefix(projectId), number, at.ToUnixTimeMilliseconds(), LateWindowMs, caller ?? string.Empty, CallerMemoryMs)).AsArray();
                resolution = Resolution(reply.Length, i => reply[i].AsString());
            }
            else
            {
                var result = (RedisResult[])(await redis.GetDatabase().EvaluateAsync(
                    ResolveScript, [Prefix(projectId)], [number, at.ToUnixTimeMilliseconds(), LateWindowMs, caller ?? string.Empty, CallerMemoryMs]))!;
                resolution = Resolution(result.Length, i => (string?)result[i]);
            }

            metrics?.Succeeded("resolve", started);
            return resolution;
        }
        catch (Exception ex) when (metrics?.Failed("resolve", started, ex) == true)
        {
            throw;
        }
    }

    /// <summary>The resolve script's answer: visit id, confidence, then the visit's fields as name/value pairs.</summary>
    private static LeaseResolution Resolution(int length, Func<int, string?> item)
    {
        var visit = item(0);
        var confidence = item(1) switch
        {
            "exclusive" => AttributionConfidence.Exclusive,
            "shared" => AttributionConfidence.Shared,
            "late" => AttributionConfidence.Late,
            _ => AttributionConfidence.None,
        };
        if (confidence == AttributionConfidence.None || string.IsNullOrEmpty(visit))
        {
            return LeaseResolution.None;
        }

        var fields = new Dictionary<string, string>((length - 2) / 2, StringComparer.Ordinal);
        for (var i = 2; i + 1 < length; i += 2)
        {
            fields[item(i)!] = item(i + 1)!;
        }

        return new LeaseResolution(visit, confidence, fields);
    }

    public async Task StoreVisitAsync(long projectId, string visitId, IReadOnlyDictionary<string, string?> fields)
    {
        var key = Prefix(projectId) + "visit:" + visitId;
        var entries = fields.Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => new HashEntry("f:" + f.Key, f.Value)).ToArray();
        var db = redis.GetDatabase();
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (entries.Length > 0)
            {
                await db.HashSetAsync(key, entries);
            }
            else
            {
                await db.HashSetAsync(key, "f:_", "1");
            }

            await db.KeyExpireAsync(key, TimeSpan.FromHours(options.Value.VisitTtlHours));
            metrics?.Succeeded("other", started);
        }
        catch (Exception ex) when (metrics?.Failed("other", started, ex) == true)
        {
            throw;
        }
    }

    public async Task<Dictionary<string, string>> VisitFieldsAsync(long projectId, string visitId)
    {
        var started = Stopwatch.GetTimestamp();
        HashEntry[] entries;
        try
        {
            entries = await redis.GetDatabase().HashGetAllAsync(Prefix(projectId) + "visit:" + visitId);
            metrics?.Succeeded("other", started);
        }
        catch (Exception ex) when (metrics?.Failed("other", started, ex) == true)
        {
            throw;
        }

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

    /// <summary>The most visits that wanted a number of the script at once over the last 7 days (shared and fallback hand-outs included); null without data.</summary>
    public async Task<long?> PeakDemandAsync(long projectId, long scriptId)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var peak = (long)await redis.GetDatabase().EvaluateAsync(PeakDemandScript, [Prefix(projectId)], [scriptId, Now]);
            metrics?.Succeeded("other", started);
            return peak < 0 ? null : peak;
        }
        catch (Exception ex) when (metrics?.Failed("other", started, ex) == true)
        {
            throw;
        }
    }
}
