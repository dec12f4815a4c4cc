using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Shared.Json;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;

namespace Calltracking.Edge.Recording.Webhooks;

/// <summary>
/// Delivers webhooks from the outbox: claims due rows (<c>FOR UPDATE SKIP LOCKED</c> in one statement that moves
/// their next attempt past the batch, so several edges share the work and no transaction spans a delivery), POSTs the call as JSON signed with the project's secret (<c>X-Calltracking-Signature: sha256=&lt;hex HMAC&gt;</c>),
/// and on failure schedules the next attempt with exponential backoff until the give-up horizon. It wakes when
/// the drainer stores records and when the next retry falls due — no fixed polling.
/// </summary>
public sealed partial class WebhookDispatcher : BackgroundService
{
    /// <summary>Quick retries of one delivery attempt when the connection itself fails.</summary>
    private const int ConnectRetries = 1;

    /// <summary>Deliveries claimed at a time.</summary>
    private const int Batch = 20;

    private readonly NpgsqlDataSource dataSource;
    private readonly CallRecordStore calls;
    private readonly WebhookOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<WebhookDispatcher> logger;
    private readonly HttpClient http;
    private readonly SemaphoreSlim wake = new(0, 1);
    private readonly Counter<long> deliveries;
    private readonly Polly.ResiliencePipeline attempt;

    private readonly Recordings.RecordingLinks links;
    private readonly Calltracking.Shared.Metrics.RefreshedOnRead<OutboxReading> outbox;
    private readonly Calltracking.Shared.Metrics.PostgresMetrics? postgres;

    /// <summary>Pending deliveries and the age of the oldest, as last read.</summary>
    public sealed record OutboxReading(long Pending, double OldestSeconds);

    /// <summary>Reads the outbox now (tests; scrapes reload on their own).</summary>
    public async Task<OutboxReading> ReadOutboxNowAsync()
    {
        await outbox.ReloadAsync();
        return outbox.Value;
    }

    private async Task<OutboxReading> ReadOutboxAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var (pending, oldest) = await connection.QuerySingleAsync<(long, double)>(new CommandDefinition(
            "SELECT count(*)::bigint, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 FROM webhook_outbox WHERE state = 'pending'",
            cancellationToken: cancellationToken));
        return new OutboxReading(pending, oldest);
    }

    public WebhookDispatcher(NpgsqlDataSource dataSource, CallRecordStore calls, Recordings.RecordingLinks links, IOptions<WebhookOptions> options, TimeProvider time, IMeterFactory meters, ILogger<WebhookDispatcher> logger, Calltracking.Shared.Metrics.PostgresMetrics? postgres = null)
    {
        this.postgres = postgres;
        this.dataSource = dataSource;
        this.calls = calls;
        this.links = links;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        http = new HttpClient(new SocketsHttpHandler { ConnectCallback = PrivateAddressGuard.ConnectCallback(this.options.AllowPrivateTargets), AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(this.options.TimeoutSeconds),
        };
        var meter = meters.Create("Calltracking.Edge.Recording");
        deliveries = meter.CreateCounter<long>("edge_webhook_deliveries_total");

        // The outbox as PostgreSQL holds it, read when a scrape finds the last reading older than 10 s.
        outbox = new Calltracking.Shared.Metrics.RefreshedOnRead<OutboxReading>(ReadOutboxAsync, new OutboxReading(0, 0), TimeSpan.FromSeconds(10), time);
        meter.CreateObservableGauge(Calltracking.Shared.Metrics.EdgeMetricNames.WebhookOutboxDepth, () => outbox.Value.Pending, description: "Webhook deliveries waiting (pending, retries included)");
        meter.CreateObservableGauge(Calltracking.Shared.Metrics.EdgeMetricNames.WebhookOldestAgeSeconds, () => outbox.Value.OldestSeconds, unit: "s", description: "Age of the oldest pending webhook delivery");
        // One delivery attempt: a bounded time, and one quick retry when the connection itself fails (a reset or a
        // refused connect is often momentary). Longer outages are the outbox's exponential backoff, kept in PostgreSQL.
        attempt = new Polly.ResiliencePipelineBuilder()
            .AddRetry(new Polly.Retry.RetryStrategyOptions
            {
                ShouldHandle = new Polly.PredicateBuilder().Handle<HttpRequestException>(),
                MaxRetryAttempts = ConnectRetries,
                Delay = TimeSpan.FromMilliseconds(200),
            })
            .AddTimeout(TimeSpan.FromSeconds(this.options.TimeoutSeconds))
            .Build();
    }

    /// <summary>Called when new outbox rows may exist.</summary>
    public void Wake()
    {
        if (wake.CurrentCount == 0)
        {
            try
            {
                wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // already signalled
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                while (await DeliverDueAsync(stoppingToken) > 0)
                {
                }

                wait = await NextDueAsync(stoppingToken);
                postgres?.Succeeded("recording", "webhook_outbox", started);
            }
            catch (Exception ex) when (postgres?.Failed("recording", "webhook_outbox", started, ex) == true || ex is NpgsqlException or TimeoutException)
            {
                LogOutboxUnavailable(logger, ex);
                wait = TimeSpan.FromSeconds(5);
            }

            await wake.WaitAsync(wait, stoppingToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private async Task<TimeSpan> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT min(next_attempt_at) FROM webhook_outbox WHERE state = 'pending'", cancellationToken: cancellationToken));
        if (next is null)
        {
            return TimeSpan.FromMinutes(5);
        }

        var due = DateTime.SpecifyKind(next.Value, DateTimeKind.Utc) - time.GetUtcNow().UtcDateTime;
        return due < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : due > TimeSpan.FromMinutes(5) ? TimeSpan.FromMinutes(5) : due;
    }

    private sealed record Due(long Id, long ProjectId, Guid CallId, string Event, string Url, int Attempts, DateTime CreatedAt);

    /// <summary>
    /// Claims up to <see cref="Batch"/> due deliveries in one statement (their next attempt moved past the time the batch can take, so no
    /// other edge takes them meanwhile, and one that stops mid-batch leaves them due again), delivers them outside any
    /// transaction, and records each result in a short transaction of its own. Before, one transaction held the rows,
    /// the project's row (the secret) and the calls' rows across up to 20 HTTP deliveries of up to
    /// <c>Webhooks:TimeoutSeconds</c> each, and every writer of those rows waited for the slowest receiver.
    /// </summary>
    private async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var now = time.GetUtcNow();

        // A delivery is at most 1 + ConnectRetries attempts of TimeoutSeconds: the claim outlasts the whole batch, with a
        // margin.
        var claim = TimeSpan.FromSeconds(Batch * ((1 + ConnectRetries) * options.TimeoutSeconds + 1) + 60);
        var due = (await connection.QueryAsync<Due>(new CommandDefinition(
            """
            UPDATE webhook_outbox o SET next_attempt_at = @claimedUntil
            FROM (SELECT id FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= @now
                  ORDER BY next_attempt_at LIMIT @Batch FOR UPDATE SKIP LOCKED) d
            WHERE o.id = d.id
            RETURNING o.id, o.project_id AS ProjectId, o.call_id AS CallId, o.event, o.url, o.attempts, o.created_at AS CreatedAt
            """,
            new { now = now.UtcDateTime, claimedUntil = (now + claim).UtcDateTime, Batch }, cancellationToken: cancellationToken))).AsList();
        due.Sort((a, b) => a.Id.CompareTo(b.Id));
        var done = 0;
        try
        {
            for (; done < due.Count; done++)
            {
                await DeliverAndRecordAsync(connection, due[done], cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: what this edge claimed and did not deliver is due again at once, for whichever edge runs.
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_outbox SET next_attempt_at = @now WHERE id = ANY(@ids) AND state = 'pending'",
                new { now = time.GetUtcNow().UtcDateTime, ids = due.Skip(done).Select(d => d.Id).ToArray() }, commandTimeout: 5));
            throw;
        }

        return due.Count;
    }

    private async Task DeliverAndRecordAsync(NpgsqlConnection connection, Due item, CancellationToken cancellationToken)
    {
        var (ok, error) = await DeliverAsync(connection, item, cancellationToken);
        var attempts = item.Attempts + 1;
        var now = time.GetUtcNow();
        var giveUp = now.UtcDateTime - DateTime.SpecifyKind(item.CreatedAt, DateTimeKind.Utc) > TimeSpan.FromHours(options.GiveUpAfterHours);
        var delay = TimeSpan.FromSeconds(Math.Min(options.RetryMaxSeconds, options.RetryBaseSeconds * Math.Pow(2, Math.Min(attempts - 1, 20))));
        var state = ok ? "delivered" : giveUp ? "failed" : "pending";
        deliveries.Add(1, new KeyValuePair<string, object?>("event", item.Event), new KeyValuePair<string, object?>("result", ok ? "ok" : giveUp ? "failed" : "retry"));
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE webhook_outbox SET state = @state, attempts = @attempts, last_error = @error,
                    next_attempt_at = @next, delivered_at = CASE WHEN @ok THEN @now ELSE NULL END WHERE id = @Id;
                UPDATE calls SET webhook_state = @state WHERE id = @CallId
                """,
                new { state, attempts, error, ok, item.Id, item.CallId, now = now.UtcDateTime, next = (now + delay).UtcDateTime },
                transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }

        if (!ok)
        {
            LogDeliveryFailed(logger, item.Event, item.CallId, attempts, error ?? string.Empty);
        }
    }

    private async Task<(bool Ok, string? Error)> DeliverAsync(NpgsqlConnection connection, Due item, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(item.ProjectId, item.CallId, cancellationToken);
        if (call is null)
        {
            return (false, "the call record is gone");
        }

        var visits = call.VisitId is null ? [] : await calls.VisitsAsync(item.ProjectId, [call.VisitId], cancellationToken);
        var payload = CallViews.Call(call, call.VisitId is not null && visits.TryGetValue(call.VisitId, out var v) ? v : null, extendVisit: true, extendOrder: false, links.For(call));
        payload["event"] = item.Event == "start" ? "call_start" : "call_end";
        payload["project"] = item.ProjectId;
        var body = Encoding.UTF8.GetBytes(payload.ToJsonString(ApiJson.Options));
        var secret = await SecretAsync(connection, item.ProjectId, cancellationToken);
        var url = item.Url.Contains("://", StringComparison.Ordinal) ? item.Url : "http://" + item.Url;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return (false, $"'{item.Url}' is not an http(s) URL");
        }

        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
        try
        {
            return await attempt.ExecuteAsync(async token =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add("X-Calltracking-Event", (string)payload["event"]!);
                request.Headers.Add("X-Calltracking-Delivery", item.Id.ToString(CultureInfo.InvariantCulture));
                request.Headers.Add("X-Calltracking-Signature", signature);
                using var response = await http.SendAsync(request, token);
                return response.IsSuccessStatusCode ? (true, (string?)null) : (false, $"HTTP {(int)response.StatusCode}");
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or Polly.Timeout.TimeoutRejectedException)
        {
            return (false, ex.Message);
        }
    }

    /// <summary>
    /// The project's webhook secret (created on first use; shown by the settings API). Read first, so a delivery does not
    /// rewrite the project's row once the secret exists; the update that makes it keeps whichever secret a concurrent
    /// first use stored.
    /// </summary>
    public static async Task<string> SecretAsync(NpgsqlConnection connection, long projectId, CancellationToken cancellationToken)
    {
        var existing = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT settings->>'webhook_secret' FROM projects WHERE id = @projectId", new { projectId }, cancellationToken: cancellationToken));
        if (existing is not null)
        {
            return existing;
        }

        var candidate = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            """
            UPDATE projects SET settings = CASE WHEN settings ? 'webhook_secret' THEN settings ELSE settings || jsonb_build_object('webhook_secret', @candidate) END
            WHERE id = @projectId RETURNING settings->>'webhook_secret'
            """,
            new { projectId, candidate }, cancellationToken: cancellationToken)) ?? candidate;
    }

    public override void Dispose()
    {
        http.Dispose();
        wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Webhook {Event} for call {CallId} failed (attempt {Attempts}): {Error}")]
    private static partial void LogDeliveryFailed(ILogger logger, string @event, Guid callId, int attempts, string error);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "The webhook outbox could not be read")]
    private static partial void LogOutboxUnavailable(ILogger logger, Exception exception);
}
