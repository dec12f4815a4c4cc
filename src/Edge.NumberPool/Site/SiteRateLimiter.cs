using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.RateLimiting;
using Calltracking.Shared.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.NumberPool.Site;

/// <summary>
/// A token bucket per client address for the public site endpoints: a page of a customer's site makes a visit, a
/// number request and a heartbeat every few tens of seconds, so a sustained rate far above that is a script, not
/// a visitor. Behind a reverse proxy listed in <see cref="PoolOptions.SiteTrustedProxies"/>, the client is the
/// address the proxy appended to <c>X-Forwarded-For</c>. Buckets are replenished by one shared timer and idle
/// ones are dropped by the partitioned limiter.
/// </summary>
public sealed class SiteRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> limiter;
    private readonly TrustedSources proxies;
    private readonly Counter<long> rejected;

    public SiteRateLimiter(IOptions<PoolOptions> options, IMeterFactory meters)
    {
        var o = options.Value;
        proxies = TrustedSources.Parse(o.SiteTrustedProxies);
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.SiteBurstPerIp,
            TokensPerPeriod = o.SiteRequestsPerSecondPerIp,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => bucket));
        rejected = meters.Create("Calltracking.Edge.NumberPool").CreateCounter<long>("edge_site_rate_limited_total");
    }

    /// <summary>Takes a token for the request's client; false when its bucket is empty (answer 429).</summary>
    public bool TryAcquire(HttpContext http)
    {
        using var lease = limiter.AttemptAcquire(ClientOf(http));
        if (!lease.IsAcquired)
        {
            rejected.Add(1);
        }

        return lease.IsAcquired;
    }

    public IPAddress ClientOf(HttpContext http)
    {
        var remote = http.Connection.RemoteIpAddress ?? IPAddress.IPv6None;
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        if (proxies.Count == 0 || !proxies.Contains(remote))
        {
            return remote;
        }

        // The last X-Forwarded-For entry is the one our proxy added; earlier ones are whatever the client claimed.
        var forwarded = http.Request.Headers["X-Forwarded-For"].ToString();
        var last = forwarded.AsSpan();
        var comma = last.LastIndexOf(',');
        if (comma >= 0)
        {
            last = last[(comma + 1)..];
        }

        return IPAddress.TryParse(last.Trim(), out var client) ? client : remote;
    }

    public void Dispose() => limiter.Dispose();
}
