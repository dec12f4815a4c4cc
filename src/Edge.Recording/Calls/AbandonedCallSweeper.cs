using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// Closes relayed calls left ACTIVE for longer than <see cref="CallHistoryOptions.AbandonedAfterHours"/>
/// (<see cref="CallRecordStore.CloseAbandonedAsync"/>), every hour. An edge closes its own interrupted
/// calls when it starts again (<see cref="SpoolDrainer"/>); this covers an edge that does not. Every edge runs it; the
/// statement is idempotent, so two edges sweeping at once close each call once.
/// </summary>
public sealed partial class AbandonedCallSweeper(CallRecordStore store, IOptions<CallHistoryOptions> options, TimeProvider time, ILogger<AbandonedCallSweeper> logger, Webhooks.WebhookDispatcher? webhooks = null, Calltracking.Shared.Metrics.PostgresMetrics? postgres = null) : BackgroundService
{
    /// <summary>How often the sweep runs.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromHours(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => RunAsync(stoppingToken);

    /// <summary>The sweep loop; it creates its timer before its first await, so a caller on simulated time can advance it at once.</summary>
    internal async Task RunAsync(CancellationToken stoppingToken)
    {
        var hours = options.Value.AbandonedAfterHours;
        if (hours == 0)
        {
            return;
        }

        // The first sweep is an hour in: by then the drainer has stored what the previous run spooled, so a call whose
        // end waited in the spool is not closed as abandoned first.
        using var timer = new PeriodicTimer(Period, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await SweepAsync(TimeSpan.FromHours(hours), stoppingToken);
        }
    }

    /// <summary>One sweep; a PostgreSQL failure is logged and the next tick tries again.</summary>
    internal async Task SweepAsync(TimeSpan age, CancellationToken stoppingToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var (closed, queued) = await store.CloseAbandonedAsync(time.GetUtcNow() - age, stoppingToken);
            postgres?.Succeeded("recording", "close_abandoned", started);
            if (closed > 0)
            {
                LogClosed(logger, closed, age.TotalHours);
            }

            if (queued > 0)
            {
                webhooks?.Wake();
            }
        }
        catch (Exception ex) when (postgres?.Failed("recording", "close_abandoned", started, ex) == true || ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 5106, Level = LogLevel.Warning, Message = "{Count} relayed calls were still ACTIVE after {Hours} hours with no edge ending them; closed as of their last known moment")]
    private static partial void LogClosed(ILogger logger, int count, double hours);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Warning, Message = "Abandoned calls not swept: PostgreSQL failed; the next sweep tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
