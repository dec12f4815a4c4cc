using Microsoft.Extensions.Options;

namespace Calltracking.Edge.NumberPool;

/// <summary>Section <c>NumberPool</c>.</summary>
public sealed class PoolOptions
{
    public const string Section = "NumberPool";

    /// <summary>Minutes after a lease ended during which a call is still attributed to its last holder (<c>NumberPool__LateCallWindowMinutes</c>).</summary>
    public int LateCallWindowMinutes { get; set; } = 30;

    /// <summary>Hours a visit's hot fields stay in Redis for call-time use (<c>NumberPool__VisitTtlHours</c>).</summary>
    public int VisitTtlHours { get; set; } = 48;

    /// <summary>Milliseconds the call path waits for Redis before routing without attribution (<c>NumberPool__RedisTimeoutMilliseconds</c>).</summary>
    public int RedisTimeoutMilliseconds { get; set; } = 300;

    /// <summary>Seconds the route of a number is cached in memory (<c>NumberPool__RouteCacheSeconds</c>).</summary>
    public int RouteCacheSeconds { get; set; } = 10;
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

        if (options.VisitTtlHours is < 1 or > 720)
        {
            failures.Add($"NumberPool:VisitTtlHours must be between 1 and 720, got {options.VisitTtlHours}");
        }

        if (options.RedisTimeoutMilliseconds is < 10 or > 10_000)
        {
            failures.Add($"NumberPool:RedisTimeoutMilliseconds must be between 10 and 10000, got {options.RedisTimeoutMilliseconds}");
        }

        if (options.RouteCacheSeconds is < 0 or > 3600)
        {
            failures.Add($"NumberPool:RouteCacheSeconds must be between 0 and 3600, got {options.RouteCacheSeconds}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
