using Microsoft.Extensions.Options;

namespace Calltracking.Edge.NumberPool;

/// <summary>Section <c>NumberPool</c>.</summary>
public sealed class PoolOptions
{
    public const string Section = "NumberPool";

    /// <summary>Minutes after a lease ended during which a call is still attributed to its last holder (<c>NumberPool__LateCallWindowMinutes</c>).</summary>
    public int LateCallWindowMinutes { get; set; } = 30;

    /// <summary>Hours the ended leases of a number are kept for attribution at past instants; at least the late-call window (<c>NumberPool__LeaseHistoryHours</c>).</summary>
    public int LeaseHistoryHours { get; set; } = 24;

    /// <summary>Days a caller's last attributed visit is remembered, to pick it among the holders of a shared number (<c>NumberPool__CallerMemoryDays</c>).</summary>
    public int CallerMemoryDays { get; set; } = 30;

    /// <summary>Hours a visit's hot fields stay in Redis for call-time use (<c>NumberPool__VisitTtlHours</c>).</summary>
    public int VisitTtlHours { get; set; } = 48;

    /// <summary>Milliseconds the call path waits for Redis before routing without attribution (<c>NumberPool__RedisTimeoutMilliseconds</c>).</summary>
    public int RedisTimeoutMilliseconds { get; set; } = 300;

    /// <summary>Sustained requests per second one client address may make to the site endpoints (<c>NumberPool__SiteRequestsPerSecondPerIp</c>).</summary>
    public int SiteRequestsPerSecondPerIp { get; set; } = 20;

    /// <summary>Requests one client address may make at once before the sustained rate applies (<c>NumberPool__SiteBurstPerIp</c>).</summary>
    public int SiteBurstPerIp { get; set; } = 60;

    /// <summary>
    /// Reverse proxies (addresses or CIDR blocks) in front of the site endpoints; for requests from them the client is
    /// the last <c>X-Forwarded-For</c> address (<c>NumberPool__SiteTrustedProxies__0</c>, …).
    /// </summary>
    public List<string> SiteTrustedProxies { get; } = [];

    /// <summary>Seconds the route of a number is cached in memory (<c>NumberPool__RouteCacheSeconds</c>).</summary>
    public int RouteCacheSeconds { get; set; } = 10;

    /// <summary>
    /// Milliseconds between writes of the call counts and accuracy tallies counted on the call path
    /// (<c>NumberPool__CallTallyFlushMilliseconds</c>).
    /// </summary>
    public int CallTallyFlushMilliseconds { get; set; } = 1000;
}

internal sealed class PoolOptionsValidation : IValidateOptions<PoolOptions>
{
    public ValidateOptionsResult Validate(string? name, PoolOptions options)
    {
        var failures = new List<string>();
        if (options.LateCallWindowMinutes is < 0 or > 1440)
        {
            failures.Add($"NumberPool:LateCallWindowMinutes must be between 0 and 1440, got {options.LateCallWindowMinutes}");
        }

        if (options.LeaseHistoryHours is < 1 or > 720)
        {
            failures.Add($"NumberPool:LeaseHistoryHours must be between 1 and 720, got {options.LeaseHistoryHours}");
        }

        if (options.CallerMemoryDays is < 1 or > 365)
        {
            failures.Add($"NumberPool:CallerMemoryDays must be between 1 and 365, got {options.CallerMemoryDays}");
        }

        if (options.VisitTtlHours is < 1 or > 720)
        {
            failures.Add($"NumberPool:VisitTtlHours must be between 1 and 720, got {options.VisitTtlHours}");
        }

        if (options.RedisTimeoutMilliseconds is < 10 or > 10_000)
        {
            failures.Add($"NumberPool:RedisTimeoutMilliseconds must be between 10 and 10000, got {options.RedisTimeoutMilliseconds}");
        }

        if (options.SiteRequestsPerSecondPerIp is < 1 or > 100_000)
        {
            failures.Add($"NumberPool:SiteRequestsPerSecondPerIp must be between 1 and 100000, got {options.SiteRequestsPerSecondPerIp}");
        }

        if (options.SiteBurstPerIp < options.SiteRequestsPerSecondPerIp || options.SiteBurstPerIp > 1_000_000)
        {
            failures.Add($"NumberPool:SiteBurstPerIp must be at least SiteRequestsPerSecondPerIp and at most 1000000, got {options.SiteBurstPerIp}");
        }

        foreach (var proxy in options.SiteTrustedProxies)
        {
            if (!Calltracking.Shared.Routing.TrustedSources.TryParseBlock(proxy.Trim(), out _))
            {
                failures.Add($"NumberPool:SiteTrustedProxies: '{proxy}' is not an address or CIDR block");
            }
        }

        if (options.RouteCacheSeconds is < 0 or > 3600)
        {
            failures.Add($"NumberPool:RouteCacheSeconds must be between 0 and 3600, got {options.RouteCacheSeconds}");
        }

        if (options.CallTallyFlushMilliseconds is < 10 or > 60_000)
        {
            failures.Add($"NumberPool:CallTallyFlushMilliseconds must be between 10 and 60000, got {options.CallTallyFlushMilliseconds}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
