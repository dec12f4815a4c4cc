using Dapper;
using Calltracking.Shared.Filters;
using Npgsql;
using NpgsqlTypes;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>Call records in PostgreSQL.</summary>
public sealed class CallRecordStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Applies a segment's events in one transaction, with at most four statements whatever the number of calls:
    /// <list type="number">
    /// <item>the new calls, each with whatever later events the segment already holds for it;</item>
    /// <item>the ends of calls that started in an earlier segment, with their ringing and answer times, which the end
    /// repeats (a ringing or answer in a segment of its own is not written: nothing reads those times before the end,
    /// so a call costs an insert and one update however its events fall into segments);</item>
    /// <item>the start webhooks;</item>
    /// <item>the end webhooks.</item>
    /// </list>
    /// The totals triggers are statement-level, so they too run once per segment instead of once per event. Every
    /// statement is idempotent, so replaying a segment changes nothing.
    /// </summary>
    /// <returns>The webhook deliveries queued (0 when no script of these calls has a webhook).</returns>
    public async Task<int> ApplyAsync(IReadOnlyList<SpoolEvent> events, CancellationToken cancellationToken, Guid? edgeInstance = null)
    {
        var changes = CallChange.Fold(events);
        if (changes.Count == 0)
        {
            return 0;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var started = changes.Where(c => c.Started is not null).ToList();
        // A call that started in an earlier segment is written again only when it ends here, or when this segment holds
        // a ringing or answer its end will not repeat (segments written before ends carried those times).
        var later = changes.Where(c => c.Started is null && (c.Ended is not null || c.HasUnrepeated)).ToList();
        var ended = changes.Where(c => c.Ended is not null).Select(c => c.CallId).ToArray();
        NpgsqlBatchCommand? startHooks = null, endHooks = null;
        if (started.Count > 0)
        {
            batch.BatchCommands.Add(InsertCalls(started, edgeInstance));
            batch.BatchCommands.Add(startHooks = Command(
                """
                INSERT INTO webhook_outbox (project_id, call_id, event, url)
                SELECT s.project_id, u.id, 'start', s.integration->'webhook_start'->>'url'
                FROM unnest($1::uuid[], $2::bigint[]) AS u(id, script_id) JOIN scripts s ON s.id = u.script_id
                WHERE coalesce(s.integration->'webhook_start'->>'url', '') <> ''
                ON CONFLICT (call_id, event) DO NOTHING
                """,
                Array(started, c => c.CallId, NpgsqlDbType.Uuid), Array(started, c => c.Started!.ScriptId, NpgsqlDbType.Bigint)));
        }

        if (later.Count > 0)
        {
            batch.BatchCommands.Add(UpdateCalls(later));
        }

        if (ended.Length > 0)
        {
            batch.BatchCommands.Add(endHooks = Command(
                """
                INSERT INTO webhook_outbox (project_id, call_id, event, url)
                SELECT c.project_id, c.id, 'end', s.integration->'webhook'->>'url' FROM calls c JOIN scripts s ON s.id = c.script_id
                WHERE c.id = ANY($1::uuid[]) AND coalesce(s.integration->'webhook'->>'url', '') <> ''
                ON CONFLICT (call_id, event) DO NOTHING
                """,
                new NpgsqlParameter { Value = ended, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid }));
        }

        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            // The pooled connection's reader keeps its last command, and through it this batch, until the connection
            // is used again. Emptied, the batch no longer holds the segment's parameter arrays there: they were a
            // quarter of what the edge's young collections copied at 2,000 calls/s (docs/sip.md).
            batch.BatchCommands.Clear();
        }

        return (startHooks?.RecordsAffected ?? 0) + (endHooks?.RecordsAffected ?? 0);
    }

    /// <summary>New calls; the cost comes from the script, the durations from the events folded in.</summary>
    private static NpgsqlBatchCommand InsertCalls(List<CallChange> calls, Guid? edgeInstance) => Command(
        """
        INSERT INTO calls (id, project_id, script_id, phone_id, callee, caller, caller_raw, started_at, visit_id, marker, confidence,
            static_source, redirect_type, target, sip_call_id, city, recorded, call_cost, edge_instance,
            ringing_at, answered_at, ended_at, status, sip_code, end_reason, duration, waiting_time, answer_duration)
        SELECT u.id, u.project_id, u.script_id, u.phone_id, u.callee, u.caller, u.caller_raw, u.started_at, u.visit_id, u.marker, u.confidence,
            u.static_source, u.redirect_type, u.target, u.sip_call_id, u.city, coalesce(u.recorded, false), coalesce(s.call_cost, 0), $24::uuid,
            u.ringing_at, u.answered_at, u.ended_at, coalesce(u.status, 'ACTIVE'), u.sip_code, u.end_reason,
            CASE WHEN u.ended_at IS NULL THEN 0 ELSE greatest(0, round(extract(epoch FROM (u.ended_at - u.started_at))))::int END,
            CASE WHEN u.ended_at IS NULL THEN 0 ELSE greatest(0, round(extract(epoch FROM (coalesce(u.answered_at, u.ended_at) - u.started_at))))::int END,
            CASE WHEN u.ended_at IS NULL OR u.answered_at IS NULL THEN 0 ELSE greatest(0, round(extract(epoch FROM (u.ended_at - u.answered_at))))::int END
        FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[],
                    $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::boolean[],
                    $18::timestamptz[], $19::timestamptz[], $20::timestamptz[], $21::text[], $22::integer[], $23::text[])
            AS u(id, project_id, script_id, phone_id, callee, caller, caller_raw, started_at, visit_id, marker, confidence,
                 static_source, redirect_type, target, sip_call_id, city, recorded,
                 ringing_at, answered_at, ended_at, status, sip_code, end_reason)
        LEFT JOIN scripts s ON s.id = u.script_id
        ON CONFLICT (id) DO NOTHING
        """,
        [
            Array(calls, c => c.CallId, NpgsqlDbType.Uuid),
            Array(calls, c => c.Started!.ProjectId, NpgsqlDbType.Bigint),
            Array(calls, c => c.Started!.ScriptId, NpgsqlDbType.Bigint),
            Array(calls, c => c.Started!.PhoneId, NpgsqlDbType.Bigint),
            Array(calls, c => c.Started!.Callee, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.Caller, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.CallerRaw, NpgsqlDbType.Text),
            Array(calls, c => (DateTime?)c.Started!.At.UtcDateTime, NpgsqlDbType.TimestampTz),
            Array(calls, c => c.Started!.VisitId, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.Marker, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.Confidence, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.StaticSource, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.RedirectType, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.Target, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.SipCallId, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.City, NpgsqlDbType.Text),
            Array(calls, c => c.Started!.Recorded, NpgsqlDbType.Boolean),
            .. LaterEvents(calls),
            new NpgsqlParameter { Value = edgeInstance.HasValue ? edgeInstance.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid },
        ]);

    /// <summary>
    /// Closes the calls <paramref name="edgeInstance"/> started before <paramref name="before"/> (its previous run) that
    /// are still ACTIVE: that run stopped without ending them (a crash, a kill), and a call does not outlive the process
    /// that relays it. Such a call ends at the last moment it is known to have been alive (its answer, ringing or
    /// start: nothing later is known, so no talk time is invented), answered ones as ANSWER, the others as CONGESTION
    /// (the edge failed them, as its shutdown does); the end webhook is queued as for any end. Idempotent.
    /// </summary>
    /// <returns>The calls closed and the webhook deliveries queued.</returns>
    public Task<(int Closed, int Queued)> CloseInterruptedAsync(Guid edgeInstance, DateTimeOffset before, CancellationToken cancellationToken) =>
        CloseOpenAsync(
            "SELECT id FROM calls WHERE edge_instance = @edgeInstance AND status = 'ACTIVE' AND started_at < @before",
            new { edgeInstance, before = before.UtcDateTime, reason = InterruptedReason },
            cancellationToken);

    /// <summary>
    /// Closes the calls relayed by any edge (not the ones recorded through the API) that started before
    /// <paramref name="before"/> and are still ACTIVE: an edge that stopped without ending them and never started again
    /// with the same spool (replaced, its disk lost), or one from before calls named their edge, leaves them open
    /// for good otherwise. They end as <see cref="CloseInterruptedAsync"/> ends them, with <see cref="AbandonedReason"/>.
    /// Each project's ACTIVE calls are read through its status index. Idempotent.
    /// </summary>
    /// <returns>The calls closed and the webhook deliveries queued.</returns>
    public Task<(int Closed, int Queued)> CloseAbandonedAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        CloseOpenAsync(
            """
            SELECT o.id FROM projects p CROSS JOIN LATERAL (
                SELECT c.id FROM calls c WHERE c.project_id = p.id AND c.status = 'ACTIVE' AND c.started_at < @before AND NOT c.external) o
            """,
            new { before = before.UtcDateTime, reason = AbandonedReason },
            cancellationToken);

    /// <summary>Ends the calls <paramref name="which"/> selects (their ids) at their last known moment and queues their end webhooks.</summary>
    private async Task<(int Closed, int Queued)> CloseOpenAsync(string which, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(int, int)>(new CommandDefinition(
            $"""
            WITH closed AS (
                UPDATE calls SET
                    status = CASE WHEN answered_at IS NULL THEN 'CONGESTION' ELSE 'ANSWER' END,
                    ended_at = coalesce(answered_at, ringing_at, started_at),
                    end_reason = @reason,
                    duration = greatest(0, round(extract(epoch FROM (coalesce(answered_at, ringing_at, started_at) - started_at))))::int,
                    waiting_time = greatest(0, round(extract(epoch FROM (coalesce(answered_at, ringing_at, started_at) - started_at))))::int,
                    answer_duration = 0
                WHERE id IN ({which}) AND status = 'ACTIVE'
                RETURNING id, project_id, script_id),
            queued AS (
                INSERT INTO webhook_outbox (project_id, call_id, event, url)
                SELECT c.project_id, c.id, 'end', s.integration->'webhook'->>'url' FROM closed c JOIN scripts s ON s.id = c.script_id
                WHERE coalesce(s.integration->'webhook'->>'url', '') <> ''
                ON CONFLICT (call_id, event) DO NOTHING
                RETURNING 1)
            SELECT (SELECT count(*) FROM closed)::int, (SELECT count(*) FROM queued)::int
            """,
            parameters,
            cancellationToken: cancellationToken));
    }

    /// <summary>The end reason of a call closed by <see cref="CloseInterruptedAsync"/>.</summary>
    public const string InterruptedReason = "edge restarted: the call was in progress when the edge stopped";

    /// <summary>The end reason of a call closed by <see cref="CloseAbandonedAsync"/>.</summary>
    public const string AbandonedReason = "no end recorded: the edge that relayed the call stopped and did not come back";

    /// <summary>
    /// Calls that started in an earlier segment. Ringing and answer times keep the first value seen. An end sets the
    /// outcome and the durations, measured from the row's start and its answer (or the one folded in here).
    /// </summary>
    private static NpgsqlBatchCommand UpdateCalls(List<CallChange> calls) => Command(
        """
        UPDATE calls c SET
            ringing_at = coalesce(c.ringing_at, u.ringing_at),
            answered_at = coalesce(c.answered_at, u.answered_at),
            ended_at = coalesce(u.ended_at, c.ended_at),
            status = coalesce(u.status, c.status),
            sip_code = CASE WHEN u.ended_at IS NULL THEN c.sip_code ELSE u.sip_code END,
            end_reason = CASE WHEN u.ended_at IS NULL THEN c.end_reason ELSE u.end_reason END,
            duration = CASE WHEN u.ended_at IS NULL THEN c.duration ELSE greatest(0, round(extract(epoch FROM (u.ended_at - c.started_at))))::int END,
            waiting_time = CASE WHEN u.ended_at IS NULL THEN c.waiting_time
                ELSE greatest(0, round(extract(epoch FROM (coalesce(c.answered_at, u.answered_at, u.ended_at) - c.started_at))))::int END,
            answer_duration = CASE WHEN u.ended_at IS NULL THEN c.answer_duration
                WHEN coalesce(c.answered_at, u.answered_at) IS NULL THEN 0
                ELSE greatest(0, round(extract(epoch FROM (u.ended_at - coalesce(c.answered_at, u.answered_at)))))::int END
        FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::integer[], $7::text[])
            AS u(id, ringing_at, answered_at, ended_at, status, sip_code, end_reason)
        WHERE c.id = u.id
        """,
        [
            Array(calls, c => c.CallId, NpgsqlDbType.Uuid),
            .. LaterEvents(calls),
        ]);

    /// <summary>What both statements take of the events after the start: ringing and answer times, then the end's time, status, SIP code and reason.</summary>
    private static NpgsqlParameter[] LaterEvents(List<CallChange> calls) =>
    [
        Array(calls, c => c.RingingAt, NpgsqlDbType.TimestampTz),
        Array(calls, c => c.AnsweredAt, NpgsqlDbType.TimestampTz),
        Array(calls, c => c.Ended?.At.UtcDateTime, NpgsqlDbType.TimestampTz),
        Array(calls, c => c.Ended?.Status, NpgsqlDbType.Text),
        Array(calls, c => c.Ended?.SipCode, NpgsqlDbType.Integer),
        Array(calls, c => c.Ended?.Reason, NpgsqlDbType.Text),
    ];

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Array<T>(List<CallChange> calls, Func<CallChange, T> value, NpgsqlDbType type) =>
        new() { Value = calls.Select(value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };

    /// <summary>One call's events within a segment, folded: the start, the first ringing and answer (from their events or repeated by the end), the last end.</summary>
    private sealed class CallChange(Guid callId)
    {
        public Guid CallId { get; } = callId;

        public SpoolEvent? Started { get; private set; }

        public DateTime? RingingAt { get; private set; }

        public DateTime? AnsweredAt { get; private set; }

        public SpoolEvent? Ended { get; private set; }

        /// <summary>A ringing or answer whose time the end will not repeat.</summary>
        public bool HasUnrepeated { get; private set; }

        public static List<CallChange> Fold(IReadOnlyList<SpoolEvent> events)
        {
            var byCall = new Dictionary<Guid, CallChange>();
            var ordered = new List<CallChange>();
            foreach (var e in events)
            {
                if (e.Kind is not ("started" or "ringing" or "answered" or "ended"))
                {
                    continue;
                }

                if (!byCall.TryGetValue(e.CallId, out var change))
                {
                    byCall[e.CallId] = change = new CallChange(e.CallId);
                    ordered.Add(change);
                }

                switch (e.Kind)
                {
                    case "started":
                        change.Started ??= e;
                        break;
                    case "ringing":
                        change.RingingAt ??= e.At.UtcDateTime;
                        change.HasUnrepeated |= e.RepeatedAtEnd != true;
                        break;
                    case "answered":
                        change.AnsweredAt ??= e.At.UtcDateTime;
                        change.HasUnrepeated |= e.RepeatedAtEnd != true;
                        break;
                    default:
                        change.Ended = e;
                        change.RingingAt ??= e.RingingAt?.UtcDateTime;
                        change.AnsweredAt ??= e.AnsweredAt?.UtcDateTime;
                        break;
                }
            }

            return ordered;
        }
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
