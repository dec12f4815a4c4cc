using System.Collections.Concurrent;
using System.Net;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>
/// Per-source token buckets (rate per second, burst of one second's worth) for INVITE and REGISTER floods. The
/// table is bounded: when it holds more sources than <see cref="MaxSources"/>, buckets idle for a minute are
/// dropped (a full bucket carries no state worth keeping), so a spoofed-source flood cannot grow memory without end.
/// </summary>
public sealed class SourceRateLimiter(int perSecond, TimeProvider time)
{
    public const int MaxSources = 100_000;

    private readonly ConcurrentDictionary<IPAddress, Bucket> buckets = new();
    private readonly long frequency = time.TimestampFrequency;

    public int TrackedSources => buckets.Count;

    /// <summary>Takes one token for <paramref name="source"/>; false when the source is over its rate.</summary>
    public bool TryAcquire(IPAddress source)
    {
        var now = time.GetTimestamp();
        if (buckets.Count >= MaxSources)
        {
            Prune(now);
        }

        var bucket = buckets.GetOrAdd(source, static (_, state) => new Bucket(state.perSecond, state.now), (perSecond, now));
        return bucket.TryTake(now, perSecond, frequency);
    }

    private void Prune(long now)
    {
        var idle = 60 * frequency;
        foreach (var (address, bucket) in buckets)
        {
            if (now - bucket.LastRefill > idle)
            {
                buckets.TryRemove(address, out _);
            }
        }
    }

    private sealed class Bucket(double tokens, long lastRefill)
    {
        private readonly Lock gate = new();
        private double tokens = tokens;

        public long LastRefill { get; private set; } = lastRefill;

        public bool TryTake(long now, int perSecond, long frequency)
        {
            lock (gate)
            {
                var elapsed = (double)(now - LastRefill) / frequency;
                if (elapsed > 0)
                {
                    tokens = Math.Min(perSecond, tokens + (elapsed * perSecond));
                    LastRefill = now;
                }

                if (tokens < 1)
                {
                    return false;
                }

                tokens -= 1;
                return true;
            }
        }
    }
}
