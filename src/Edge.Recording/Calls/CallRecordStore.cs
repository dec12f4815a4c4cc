using Dapper;
using Calltracking.Shared.Filters;
using Npgsql;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>Call records in PostgreSQL.</summary>
public sealed class CallRecordStore(NpgsqlDataSource dataSource)
{
    /// <summary>Applies spooled events in one transaction. Every statement is idempotent, so a replay changes nothing.</summary>
    public async Task ApplyAsync(IReadOnlyList<SpoolEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var e in events)
        {
            var sql = e.Kind switch
            {
                "started" => """
                    INSERT INTO calls (id, project_id, script_id, phone_id, callee, caller, caller_raw, started_at, visit_id, marker, confidence,
                        static_source, redirect_type, target, sip_call_id, city, recorded, call_cost)
                    VALUES (@CallId, @ProjectId, @ScriptId, @PhoneId, @Callee, @Caller, @CallerRaw, @At, @VisitId, @Marker, @Confidence,
                        @StaticSource, @RedirectType, @Target, @SipCallId, @City, coalesce(@Recorded, false),
                        coalesce((SELECT call_cost FROM scripts WHERE id = @ScriptId), 0))
                    ON CONFLICT (id) DO NOTHING
                    """,
                "ringing" => "UPDATE calls SET ringing_at = coalesce(ringing_at, @At) WHERE id = @CallId",
                "answered" => "UPDATE calls SET answered_at = coalesce(answered_at, @At) WHERE id = @CallId",
                "ended" => """
                    UPDATE calls SET
                        ended_at = @At, status = @Status, sip_code = @SipCode, end_reason = @Reason,
                        duration = greatest(0, round(extract(epoch FROM (@At - started_at))))::int,
                        waiting_time = greatest(0, round(extract(epoch FROM (coalesce(answered_at, @At) - started_at))))::int,
                        answer_duration = CASE WHEN answered_at IS NULL THEN 0 ELSE greatest(0, round(extract(epoch FROM (@At - answered_at))))::int END
                    WHERE id = @CallId
                    """,
                _ => null,
            };
            if (e.Kind is "started" or "ended")
            {
                // The transactional outbox: the webhook row commits with the record it announces.
                sql += e.Kind == "started"
                    ? """
                      ;
                      INSERT INTO webhook_outbox (project_id, call_id, event, url)
                      SELECT s.project_id, @CallId, 'start', s.integration->'webhook_start'->>'url' FROM scripts s
                      WHERE s.id = @ScriptId AND coalesce(s.integration->'webhook_start'->>'url', '') <> ''
                      ON CONFLICT (call_id, event) DO NOTHING
                      """
                    : """
                      ;
                      INSERT INTO webhook_outbox (project_id, call_id, event, url)
                      SELECT c.project_id, c.id, 'end', s.integration->'webhook'->>'url' FROM calls c JOIN scripts s ON s.id = c.script_id
                      WHERE c.id = @CallId AND coalesce(s.integration->'webhook'->>'url', '') <> ''
                      ON CONFLICT (call_id, event) DO NOTHING
                      """;
            }

            if (sql is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(sql, new
                {
                    e.CallId, e.ProjectId, e.ScriptId, e.PhoneId, e.Callee, e.Caller, e.CallerRaw, At = e.At.UtcDateTime, e.VisitId, e.Marker,
                    e.Confidence, e.StaticSource, e.RedirectType, e.Target, e.SipCallId, e.City, e.Recorded, e.Status, e.SipCode, e.Reason,
                }, transaction, cancellationToken: cancellationToken));
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<(IReadOnlyList<CallRow> Rows, int Total)> ListAsync(long projectId, ListQuery query, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("projectId", projectId);
        foreach (var p in query.Where.Parameters)
        {
            parameters.Add(p.Name, p.Value);
        }

        var where = $"c.project_id = @projectId AND {query.Where.Sql}";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var total = StatusesOnly(query.Filter, out var statuses)
            ? await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT coalesce(sum(n), 0)::int FROM call_totals WHERE project_id = @projectId AND (@all OR status = ANY(@statuses))",
                new { projectId, all = statuses is null, statuses = statuses ?? [] }, cancellationToken: cancellationToken))
            : await connection.ExecuteScalarAsync<int>(new CommandDefinition($"SELECT count(*) FROM calls c WHERE {where}", parameters, cancellationToken: cancellationToken));
        parameters.Add("limit", query.Limit);
        parameters.Add("offset", query.Offset);
        var rows = await connection.QueryAsync<CallRow>(new CommandDefinition(
            $"SELECT {CallRow.Columns} FROM calls c WHERE {where} ORDER BY {query.OrderBy}, c.seq DESC LIMIT @limit OFFSET @offset",
            parameters, cancellationToken: cancellationToken));
        return (rows.AsList(), total);
    }

    /// <summary>True when the filter is absent or only selects statuses (=, in), which <c>call_totals</c> answers; <paramref name="statuses"/> null means all.</summary>
    private static bool StatusesOnly(FilterNode? filter, out string[]? statuses)
    {
        statuses = null;
        switch (filter)
        {
            case null:
                return true;
            case FilterGroup { Children.Count: 1 } group:
                return StatusesOnly(group.Children[0], out statuses);
            case FilterCondition { Field.Name: "status", Operator: FilterOperator.Equal } c:
                statuses = [(string)c.Value!];
                return true;
            case FilterCondition { Field.Name: "status", Operator: FilterOperator.In } c:
                statuses = ((object?[])c.Value!).Cast<string>().ToArray();
                return true;
            default:
                return false;
        }
    }

    public async Task<CallRow?> GetAsync(long projectId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<CallRow>(new CommandDefinition(
            $"SELECT {CallRow.Columns} FROM calls c WHERE c.project_id = @projectId AND c.id = @id", new { projectId, id }, cancellationToken: cancellationToken));
    }

    public async Task<CallRow> InsertExternalAsync(long projectId, ExternalCall call, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var id = Guid.CreateVersion7();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO calls (id, project_id, callee, caller, caller_raw, status, started_at, ended_at, duration, answer_duration,
                waiting_time, visit_id, marker, order_id, comment, external)
            VALUES (@id, @projectId, @Callee, @Caller, @Caller, @Status, @Date, @Date + make_interval(secs => @Duration), @Duration, @AnswerDuration,
                greatest(0, @Duration - @AnswerDuration), @VisitId, @Marker, @OrderId, @Comment, true)
            """,
            new { id, projectId, call.Callee, call.Caller, call.Status, Date = call.Date.UtcDateTime, call.Duration, call.AnswerDuration, call.VisitId, call.Marker, call.OrderId, call.Comment },
            cancellationToken: cancellationToken));
        return (await GetAsync(projectId, id, cancellationToken))!;
    }

    /// <summary>The visits of the given ids, for <c>extend: ["visit"]</c>.</summary>
    public async Task<Dictionary<string, VisitRow>> VisitsAsync(long projectId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var numeric = ids.Select(i => long.TryParse(i, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0).Where(n => n > 0).ToArray();
        if (numeric.Length == 0)
        {
            return [];
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<VisitRow>(new CommandDefinition(
            """
            SELECT id, created_at AS CreatedAt, referrer, domain, landing_page AS LandingPage, user_agent AS UserAgent, host(ip) AS Ip,
                   google_client_id AS GoogleClientId, marker, source, utm_source AS UtmSource, utm_medium AS UtmMedium, utm_campaign AS UtmCampaign,
                   utm_term AS UtmTerm, utm_content AS UtmContent, city
            FROM visits WHERE project_id = @projectId AND id = ANY(@numeric)
            """,
            new { projectId, numeric }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed record CallRow
{
    public const string Columns = """
        c.id, c.project_id AS ProjectId, c.script_id AS ScriptId, c.callee, c.caller, c.status, c.started_at AS StartedAt, c.duration,
        c.waiting_time AS WaitingTime, c.answer_duration AS AnswerDuration, c.visit_id AS VisitId, c.marker, c.static_source AS StaticSource,
        c.order_id AS OrderId, c.comment, c.tags::text AS Tags, c.recording_state AS RecordingState, c.recording_note AS RecordingNote, c.confidence, c.sip_call_id AS SipCallId,
        c.target, c.city, c.call_cost AS CallCost, c.webhook_state AS WebhookState,
        coalesce((SELECT (p.settings->>'forbid_listening_by_link') IN ('true', '1') FROM projects p WHERE p.id = c.project_id), false) AS ForbidLinks
        """;

    public Guid Id { get; init; }
    public long ProjectId { get; init; }
    public long? ScriptId { get; init; }
    public string Callee { get; init; } = string.Empty;
    public string? Caller { get; init; }
    public string Status { get; init; } = "ACTIVE";
    public DateTime StartedAt { get; init; }
    public int Duration { get; init; }
    public int WaitingTime { get; init; }
    public int AnswerDuration { get; init; }
    public string? VisitId { get; init; }
    public string? Marker { get; init; }
    public string? StaticSource { get; init; }
    public string? OrderId { get; init; }
    public string? Comment { get; init; }
    public string? Tags { get; init; }
    public string? RecordingState { get; init; }
    /// <summary>What the recording worker could not do (a codec it cannot decode, no audio received).</summary>
    public string? RecordingNote { get; init; }
    /// <summary>The project forbids listening by link: recordings are served by API key only.</summary>
    public bool ForbidLinks { get; init; }
    public string? Confidence { get; init; }
    public string? SipCallId { get; init; }
    public string? Target { get; init; }
    public string? City { get; init; }
    public decimal CallCost { get; init; }
    public string? WebhookState { get; init; }
}

public sealed record VisitRow
{
    public long Id { get; init; }
    public DateTime CreatedAt { get; init; }
    public string? Referrer { get; init; }
    public string? Domain { get; init; }
    public string? LandingPage { get; init; }
    public string? UserAgent { get; init; }
    public string? Ip { get; init; }
    public string? GoogleClientId { get; init; }
    public string? Marker { get; init; }
    public string? Source { get; init; }
    public string? UtmSource { get; init; }
    public string? UtmMedium { get; init; }
    public string? UtmCampaign { get; init; }
    public string? UtmTerm { get; init; }
    public string? UtmContent { get; init; }
    public string? City { get; init; }
}

public sealed record ExternalCall(string Callee, string Caller, DateTimeOffset Date, int Duration, int AnswerDuration, string Status, string? Marker, string? VisitId, string? OrderId, string? Comment);
