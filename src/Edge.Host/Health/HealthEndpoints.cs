using System.Diagnostics;
using Npgsql;
using StackExchange.Redis;

namespace Calltracking.Edge.Host.Health;

/// <summary><c>/health</c>: the process is alive. <c>/ready</c>: it can reach Redis and PostgreSQL.</summary>
internal static partial class HealthEndpoints
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapEdgeHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/health", () => Results.Json(new { status = "ok" }));
        endpoints.MapGet("/ready", async (NpgsqlDataSource postgres, IConnectionMultiplexer redis, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        {
            var logger = loggers.CreateLogger("Calltracking.Edge.Host.Health");
            var pg = await CheckAsync("postgres", logger, async token =>
            {
                await using var command = postgres.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(token);
            }, cancellationToken);
            var rd = await CheckAsync("redis", logger, async _ =>
            {
                if (!redis.IsConnected)
                {
                    throw new InvalidOperationException("not connected to Redis");
                }

                await redis.GetDatabase().PingAsync();
            }, cancellationToken);
            var ready = pg.Ok && rd.Ok;
            return Results.Json(
                new { status = ready ? "ready" : "not_ready", checks = new { postgres = pg, redis = rd } },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }

    private static async Task<CheckResult> CheckAsync(string name, ILogger logger, Func<CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await check(timeout.Token).WaitAsync(timeout.Token);
            return new CheckResult(true, Stopwatch.GetElapsedTime(started).TotalMilliseconds, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogCheckFailed(logger, name, ex.Message);
            return new CheckResult(false, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.Message);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Readiness check {Check} failed: {Error}")]
    private static partial void LogCheckFailed(ILogger logger, string check, string error);

    private sealed record CheckResult(bool Ok, double LatencyMs, string? Error);
}
