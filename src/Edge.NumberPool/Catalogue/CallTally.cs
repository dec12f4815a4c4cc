using Calltracking.Shared.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>
/// The per-number call counts and the per-script hourly call tallies behind <c>accuracy</c>, counted in memory on the
/// call path and written to PostgreSQL in one transaction every <see cref="PoolOptions.CallTallyFlushMilliseconds"/>.
/// </summary>
/// <remarks>
/// Under load this is one commit a second instead of one per call, and each row is updated once per flush instead
/// of once per call. The hot rows (the same numbers and the same hour) would otherwise serialise on their locks. A
/// flush that fails is merged back and retried with the next one, and the last flush runs when the edge stops. A
/// crash loses at most one interval of these statistics; the call records themselves go through the durable spool.
/// </remarks>
public sealed partial class CallTally(CatalogueStore catalogue, IOptions<PoolOptions> options, ILogger<CallTally> logger) : BackgroundService
{
    private readonly Lock gate = new();
    private Dictionary<string, PhoneCalls> phones = new(StringComparer.Ordinal);
    private Dictionary<(long ScriptId, DateTimeOffset Hour), HourCalls> hours = [];

    /// <summary>Calls counted and not yet written.</summary>
    public int Pending
    {
        get
        {
            lock (gate)
            {
                return phones.Values.Sum(p => p.Calls);
            }
        }
    }

    /// <summary>Counts a routed call to <paramref name="number"/>; for a dynamic script, also whether it was attributed exclusively.</summary>
    public void Add(string number, long scriptId, DateTimeOffset at, AttributionConfidence? confidence)
    {
        lock (gate)
        {
            Merge(phones, number, new PhoneCalls(1, at));
            if (confidence is { } c)
            {
                var hour = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);
                Merge(hours, (scriptId, hour), new HourCalls(1, c == AttributionConfidence.Exclusive ? 1 : 0));
            }
        }
    }

    /// <summary>Writes what was counted since the last flush; on failure keeps it for the next one.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Dictionary<string, PhoneCalls> phoneBatch;
        Dictionary<(long ScriptId, DateTimeOffset Hour), HourCalls> hourBatch;
        lock (gate)
        {
            if (phones.Count == 0 && hours.Count == 0)
            {
                return;
            }

            (phoneBatch, phones) = (phones, new(StringComparer.Ordinal));
            (hourBatch, hours) = (hours, []);
        }

        try
        {
            await catalogue.RecordCallsAsync(phoneBatch, hourBatch, cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            LogFlushFailed(logger, ex, phoneBatch.Values.Sum(p => p.Calls));
            lock (gate)
            {
                foreach (var (number, calls) in phoneBatch)
                {
                    Merge(phones, number, calls);
                }

                foreach (var (key, calls) in hourBatch)
                {
                    Merge(hours, key, calls);
                }
            }
        }
    }

    private static void Merge<TKey, TCalls>(Dictionary<TKey, TCalls> into, TKey key, TCalls calls)
        where TKey : notnull
        where TCalls : struct, ICallCount<TCalls> =>
        into[key] = into.TryGetValue(key, out var counted) ? counted.Plus(calls) : calls;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.CallTallyFlushMilliseconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync writes the rest.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Call counts of {Calls} calls not written yet; PostgreSQL failed, retrying with the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, int calls);
}

/// <summary>A count of calls that adds up with another.</summary>
public interface ICallCount<T>
{
    T Plus(T other);
}

/// <summary>Calls to one number since the last flush and the latest of them.</summary>
public readonly record struct PhoneCalls(int Calls, DateTimeOffset LastAt) : ICallCount<PhoneCalls>
{
    public PhoneCalls Plus(PhoneCalls other) => new(Calls + other.Calls, other.LastAt > LastAt ? other.LastAt : LastAt);
}

/// <summary>Calls of one dynamic script in one hour since the last flush, and how many of them were attributed exclusively.</summary>
public readonly record struct HourCalls(int Calls, int Exclusive) : ICallCount<HourCalls>
{
    public HourCalls Plus(HourCalls other) => new(Calls + other.Calls, Exclusive + other.Exclusive);
}
