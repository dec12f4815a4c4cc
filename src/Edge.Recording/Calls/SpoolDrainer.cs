using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// Moves spooled call events into PostgreSQL, one segment per transaction, oldest first, deleting a segment only
/// after its commit. While PostgreSQL fails it retries the same segment; calls go on and the spool grows.
/// </summary>
public sealed partial class SpoolDrainer(CallSpool spool, CallRecordStore store, IOptions<CallHistoryOptions> options, IMeterFactory meters, TimeProvider time, ILogger<SpoolDrainer> logger, Webhooks.WebhookDispatcher? webhooks = null, Calltracking.Shared.Metrics.PostgresMetrics? postgres = null) : BackgroundService
{
    private readonly Counter<long> drained = meters.Create("Calltracking.Edge.Recording").CreateCounter<long>("edge_spool_drained_total");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var meter = meters.Create("Calltracking.Edge.Recording");
        meter.CreateObservableGauge("edge_spool_depth_records", () => spool.Depth);
        meter.CreateObservableGauge(Calltracking.Shared.Metrics.EdgeMetricNames.SpoolOldestAgeSeconds, () => spool.OldestAgeSeconds, unit: "s", description: "Age of the oldest spooled segment not yet in PostgreSQL");
        meter.CreateObservableCounter(Calltracking.Shared.Metrics.EdgeMetricNames.SpoolAppendedTotal, () => spool.Appended, description: "Call events written (fsync'd) to the spool");
        meter.CreateObservableCounter(Calltracking.Shared.Metrics.EdgeMetricNames.SpoolWriteErrorsTotal, () => spool.WriteFailures, description: "Spool segment writes that failed (each is retried; its events wait in memory)");

        // What the previous run left is stored first; then its calls that no event ended are closed.
        for (var i = 0; i < spool.LeftOver && await spool.Ready.WaitToReadAsync(stoppingToken); i++)
        {
            if (spool.Ready.TryRead(out var segment))
            {
                await DrainAsync(segment, stoppingToken);
            }
        }

        await CloseInterruptedAsync(stoppingToken);
        while (await spool.Ready.WaitToReadAsync(stoppingToken))
        {
            while (spool.Ready.TryRead(out var segment))
            {
                await DrainAsync(segment, stoppingToken);
            }
        }
    }

    private async Task CloseInterruptedAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var (closed, queued) = await store.CloseInterruptedAsync(spool.Instance, spool.StartedAt, stoppingToken);
                postgres?.Succeeded("recording", "close_interrupted", started);
                if (closed > 0)
                {
                    LogInterruptedClosed(logger, closed);
                }

                if (queued > 0)
                {
                    webhooks?.Wake();
                }

                return;
            }
            catch (Exception ex) when (postgres?.Failed("recording", "close_interrupted", started, ex) == true || ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogCloseFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(options.Value.RetrySeconds), time, stoppingToken);
            }
        }
    }

    private async Task DrainAsync(SpoolSegment segment, CancellationToken stoppingToken)
    {
        if (!File.Exists(segment.Path))
        {
            return;
        }

        var events = spool.EventsOf(segment);
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var queued = await ApplyAsync(events, started, stoppingToken);
                File.Delete(segment.Path);
                drained.Add(events.Count);
                if (queued > 0)
                {
                    // Only new deliveries wake the dispatcher; retries are on its own clock.
                    webhooks?.Wake();
                }
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogDrainFailed(logger, ex, Path.GetFileName(segment.Path));
                await Task.Delay(TimeSpan.FromSeconds(options.Value.RetrySeconds), time, stoppingToken);
            }
        }
    }

    private async Task<int> ApplyAsync(IReadOnlyList<SpoolEvent> events, long started, CancellationToken stoppingToken)
    {
        try
        {
            var queued = await store.ApplyAsync(events, stoppingToken, spool.Instance);
            postgres?.Succeeded("recording", "apply_segment", started);
            return queued;
        }
        catch (Exception ex) when (postgres?.Failed("recording", "apply_segment", started, ex) == true)
        {
            throw;
        }
    }

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "{Count} calls were in progress when this edge last stopped without ending them; closed as of their last known moment")]
    private static partial void LogInterruptedClosed(ILogger logger, int count);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Calls left open by the previous run not closed yet; PostgreSQL failed, retrying")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Call records in {Segment} not stored yet; PostgreSQL failed and the spool keeps them")]
    private static partial void LogDrainFailed(ILogger logger, Exception exception, string segment);
}
