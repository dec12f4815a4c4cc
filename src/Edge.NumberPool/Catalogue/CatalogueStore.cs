using Calltracking.Shared.Json;
using Calltracking.Shared.Routing;
using Dapper;
using Npgsql;

namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>Scripts and phones in PostgreSQL. Every statement is scoped by project id.</summary>
public sealed class CatalogueStore(NpgsqlDataSource dataSource)
{
    private const string ScriptColumns = """
        s.id, s.project_id AS ProjectId, s.name, s.is_enabled AS IsEnabled, s.is_deleted AS IsDeleted, s.created_at AS CreatedAt,
        s.calltracking_type AS CalltrackingType, s.static_source AS StaticSource, s.css_selector::text AS CssSelector,
        s.phone_format AS PhoneFormat, s.redirect_type AS RedirectType, s.redirect_value AS RedirectValue,
        s.sip_trunk_postfix AS SipTrunkPostfix, s.segments::text AS Segments, s.target_call_time AS TargetCallTime,
        s.integration::text AS Integration, s.lease_grace_seconds AS LeaseGraceSeconds, s.lease_max_age_seconds AS LeaseMaxAgeSeconds,
        s.exhausted_policy AS ExhaustedPolicy, s.fallback_phone AS FallbackPhone, s.ring_timeout_seconds AS RingTimeoutSeconds,
        s.call_cost AS CallCost,
        (SELECT coalesce(sum(p.call_count), 0)::int FROM phones p WHERE p.script_id = s.id) AS CallCount
        """;

    private const string PhoneColumns = """
        p.id, p.project_id AS ProjectId, p.phone, p.prefix, p.script_id AS ScriptId, p.is_external AS IsExternal,
        p.last_use_date AS LastUseDate, p.call_count AS CallCount, p.created_at AS CreatedAt
        """;

    public async Task<ScriptRecord> CreateScriptAsync(long projectId, ScriptInput input, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO scripts (project_id, name, is_enabled, calltracking_type, static_source, css_selector, phone_format,
                redirect_type, redirect_value, sip_trunk_postfix, segments, target_call_time, integration,
                lease_grace_seconds, lease_max_age_seconds, exhausted_policy, fallback_phone, ring_timeout_seconds, call_cost)
            VALUES (@projectId, coalesce(@Name, ''), coalesce(@IsEnabled, true), coalesce(@CalltrackingType, 'dynamic'), @StaticSource,
                coalesce(@CssSelector, '[]')::jsonb, coalesce(@PhoneFormat, '8 (XXX) XXX-XX-XX'), coalesce(@RedirectType, 'phone'),
                coalesce(@RedirectValue, ''), @SipTrunkPostfix, @Segments::jsonb, coalesce(@TargetCallTime, 0), coalesce(@Integration, '{}')::jsonb,
                coalesce(@LeaseGraceSeconds, 150), coalesce(@LeaseMaxAgeSeconds, 86400), coalesce(@ExhaustedPolicy, 'share'), @FallbackPhone,
                coalesce(@RingTimeoutSeconds, 60), coalesce(@CallCost, 0))
            RETURNING id
            """,
            Parameters(projectId, input),
            transaction,
            cancellationToken: cancellationToken));
        if (input.RedirectType == "sip_trunk" && input.SipTrunkPostfix is null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE scripts SET sip_trunk_postfix = id::text WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        }

        await AttachNumbersAsync(connection, transaction, projectId, id, input.ReplaceableNumbers ?? [], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await GetScriptAsync(projectId, id, cancellationToken))!;
    }

    public async Task<bool> UpdateScriptAsync(long projectId, ScriptInput input, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var parameters = Parameters(projectId, input);
        parameters.Add("id", input.Id);
        parameters.Add("staticGiven", input.StaticSourceGiven);
        parameters.Add("segmentsGiven", input.SegmentsGiven);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE scripts SET
                name = coalesce(@Name, name), is_enabled = coalesce(@IsEnabled, is_enabled),
                calltracking_type = coalesce(@CalltrackingType, calltracking_type),
                static_source = CASE WHEN @staticGiven THEN @StaticSource ELSE static_source END,
                css_selector = coalesce(@CssSelector::jsonb, css_selector), phone_format = coalesce(@PhoneFormat, phone_format),
                redirect_type = coalesce(@RedirectType, redirect_type), redirect_value = coalesce(@RedirectValue, redirect_value),
                sip_trunk_postfix = coalesce(@SipTrunkPostfix, sip_trunk_postfix, CASE WHEN @RedirectType = 'sip_trunk' THEN id::text END),
                segments = CASE WHEN @segmentsGiven THEN @Segments::jsonb ELSE segments END,
                target_call_time = coalesce(@TargetCallTime, target_call_time), integration = coalesce(@Integration::jsonb, integration),
                lease_grace_seconds = coalesce(@LeaseGraceSeconds, lease_grace_seconds),
                lease_max_age_seconds = coalesce(@LeaseMaxAgeSeconds, lease_max_age_seconds),
                exhausted_policy = coalesce(@ExhaustedPolicy, exhausted_policy), fallback_phone = coalesce(@FallbackPhone, fallback_phone),
                ring_timeout_seconds = coalesce(@RingTimeoutSeconds, ring_timeout_seconds), call_cost = coalesce(@CallCost, call_cost)
            WHERE id = @id AND project_id = @projectId AND NOT is_deleted
            """,
            parameters,
            transaction,
            cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return false;
        }

        if (input.ReplaceableNumbers is { } numbers)
        {
            await AttachNumbersAsync(connection, transaction, projectId, input.Id!.Value, numbers, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Marks a script deleted (kept for the call history) and frees its numbers.</summary>
    public async Task<bool> DeleteScriptAsync(long projectId, long scriptId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE scripts SET is_deleted = true, is_enabled = false WHERE id = @scriptId AND project_id = @projectId AND NOT is_deleted",
            new { projectId, scriptId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE phones SET script_id = NULL WHERE script_id = @scriptId AND project_id = @projectId",
            new { projectId, scriptId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return deleted > 0;
    }

    public async Task<ScriptRecord?> GetScriptAsync(long projectId, long scriptId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ScriptRecord>(new CommandDefinition(
            $"SELECT {ScriptColumns} FROM scripts s WHERE s.id = @scriptId AND s.project_id = @projectId",
            new { projectId, scriptId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<ScriptRecord>> ListScriptsAsync(long projectId, bool? deleted, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ScriptRecord>(new CommandDefinition(
            $"SELECT {ScriptColumns} FROM scripts s WHERE s.project_id = @projectId AND (@deleted::boolean IS NULL OR s.is_deleted = @deleted) ORDER BY s.id",
            new { projectId, deleted }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The enabled scripts of a project with their numbers, for the site's number requests.</summary>
    public async Task<IReadOnlyList<ScriptRecord>> ActiveScriptsAsync(long projectId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ScriptRecord>(new CommandDefinition(
            $"SELECT {ScriptColumns} FROM scripts s WHERE s.project_id = @projectId AND s.is_enabled AND NOT s.is_deleted ORDER BY s.id",
            new { projectId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<string>> ScriptNumbersAsync(long projectId, long scriptId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT phone FROM phones WHERE project_id = @projectId AND script_id = @scriptId ORDER BY id",
            new { projectId, scriptId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<PhoneRecord>> CreatePhonesAsync(long projectId, IReadOnlyList<string> numbers, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await EnsureNotForeignAsync(connection, transaction, projectId, numbers, "phones", cancellationToken);
        var rows = new List<PhoneRecord>();
        foreach (var number in numbers)
        {
            rows.Add(await connection.QuerySingleAsync<PhoneRecord>(new CommandDefinition(
                $"""
                INSERT INTO phones AS p (project_id, phone, is_external) VALUES (@projectId, @number, true)
                ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone
                RETURNING {PhoneColumns}
                """,
                new { projectId, number }, transaction, cancellationToken: cancellationToken)));
        }

        await transaction.CommitAsync(cancellationToken);
        return rows;
    }

    /// <summary>Attaches a phone to a script (phone/update). Returns the previous script id, or null when the phone or script is not the project's.</summary>
    public async Task<(bool Found, long? PreviousScript)> AttachPhoneAsync(long projectId, long phoneId, long scriptId, DateTimeOffset? lastUse, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, long? Previous)>(new CommandDefinition(
            """
            WITH old AS (SELECT id, script_id FROM phones WHERE id = @phoneId AND project_id = @projectId FOR UPDATE)
            UPDATE phones p SET script_id = @scriptId, last_use_date = coalesce(@lastUse, p.last_use_date)
            FROM old
            WHERE p.id = old.id AND EXISTS (SELECT 1 FROM scripts s WHERE s.id = @scriptId AND s.project_id = @projectId AND NOT s.is_deleted)
            RETURNING p.id, old.script_id
            """,
            new { projectId, phoneId, scriptId, lastUse = lastUse?.UtcDateTime }, cancellationToken: cancellationToken));
        return row.Id == 0 ? (false, null) : (true, row.Previous);
    }

    /// <summary>Deletes phones of the project; returns the scripts whose pools changed.</summary>
    public async Task<IReadOnlyList<long>> DeletePhonesAsync(long projectId, IReadOnlyList<long> phoneIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<long?>(new CommandDefinition(
            "DELETE FROM phones WHERE project_id = @projectId AND id = ANY(@phoneIds) RETURNING script_id",
            new { projectId, phoneIds = phoneIds.ToArray() }, cancellationToken: cancellationToken))).Where(s => s is not null).Select(s => s!.Value).Distinct().ToList();
    }

    public async Task<(IReadOnlyList<PhoneRecord> Rows, int Total)> ListPhonesAsync(long projectId, Shared.Filters.ListQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var parameters = new DynamicParameters();
        parameters.Add("projectId", projectId);
        foreach (var p in query.Where.Parameters)
        {
            parameters.Add(p.Name, p.Value);
        }

        var where = $"p.project_id = @projectId AND {query.Where.Sql}";
        var total = await connection.ExecuteScalarAsync<int>(new CommandDefinition($"SELECT count(*) FROM phones p WHERE {where}", parameters, cancellationToken: cancellationToken));
        parameters.Add("limit", query.Limit);
        parameters.Add("offset", query.Offset);
        var rows = await connection.QueryAsync<PhoneRecord>(new CommandDefinition(
            $"SELECT {PhoneColumns} FROM phones p WHERE {where} ORDER BY {query.OrderBy}, p.id LIMIT @limit OFFSET @offset", parameters, cancellationToken: cancellationToken));
        return (rows.AsList(), total);
    }

    /// <summary>The route data of a dialed number: its phone row, script and the project's settings document.</summary>
    public async Task<(PhoneRecord Phone, ScriptRecord? Script, string Settings)?> FindNumberAsync(string number, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var phone = await connection.QuerySingleOrDefaultAsync<PhoneRecord>(new CommandDefinition(
            $"SELECT {PhoneColumns} FROM phones p WHERE p.phone = @number", new { number }, cancellationToken: cancellationToken));
        if (phone is null)
        {
            return null;
        }

        var script = phone.ScriptId is { } scriptId ? await connection.QuerySingleOrDefaultAsync<ScriptRecord>(new CommandDefinition(
            $"SELECT {ScriptColumns} FROM scripts s WHERE s.id = @scriptId", new { scriptId }, cancellationToken: cancellationToken)) : null;
        var settings = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT settings::text FROM projects WHERE id = @projectId", new { projectId = phone.ProjectId }, cancellationToken: cancellationToken)) ?? "{}";
        return (phone, script, settings);
    }

    public async Task<ScriptRecord?> FindSipAccountAsync(long projectId, string postfix, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ScriptRecord>(new CommandDefinition(
            $"SELECT {ScriptColumns} FROM scripts s WHERE s.project_id = @projectId AND s.redirect_type = 'sip_trunk' AND s.sip_trunk_postfix = @postfix AND NOT s.is_deleted",
            new { projectId, postfix }, cancellationToken: cancellationToken));
    }

    public async Task<string> GetSettingsAsync(long projectId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT settings::text FROM projects WHERE id = @projectId", new { projectId }, cancellationToken: cancellationToken)) ?? "{}";
    }

    public async Task SetSettingsAsync(long projectId, string settings, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE projects SET settings = @settings::jsonb WHERE id = @projectId", new { projectId, settings }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Counts a call to <paramref name="number"/>: the phone's call count and last use, and for dynamic scripts
    /// (<paramref name="confidence"/> set) the script's calls and exclusively attributed calls of that hour, which
    /// make its accuracy. Hours older than 8 days are dropped when a new hour starts.
    /// </summary>
    /// <summary>
    /// Adds counted calls in one implicit transaction: per number, the call count and last use; per dynamic script
    /// and hour, the calls and the exclusively attributed ones. Hours older than eight days are dropped for the
    /// scripts touched, since accuracy looks back seven.
    /// </summary>
    public async Task RecordCallsAsync(IReadOnlyDictionary<string, PhoneCalls> phones, IReadOnlyDictionary<(long ScriptId, DateTimeOffset Hour), HourCalls> hours, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        if (phones.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                """
                UPDATE phones p SET call_count = p.call_count + u.calls, last_use_date = greatest(p.last_use_date, u.last_at)
                FROM unnest($1::text[], $2::integer[], $3::timestamptz[]) AS u(phone, calls, last_at)
                WHERE p.phone = u.phone
                """)
            {
                Parameters =
                {
                    new() { Value = phones.Keys.ToArray() },
                    new() { Value = phones.Values.Select(p => p.Calls).ToArray() },
                    new() { Value = phones.Values.Select(p => p.LastAt.UtcDateTime).ToArray() },
                },
            });
        }

        if (hours.Count > 0)
        {
            var scripts = hours.Keys.Select(k => k.ScriptId).ToArray();
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                """
                INSERT INTO script_call_hours (script_id, hour, calls, exclusive)
                SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::integer[], $4::integer[])
                ON CONFLICT (script_id, hour) DO UPDATE SET calls = script_call_hours.calls + EXCLUDED.calls, exclusive = script_call_hours.exclusive + EXCLUDED.exclusive
                """)
            {
                Parameters =
                {
                    new() { Value = scripts },
                    new() { Value = hours.Keys.Select(k => k.Hour.UtcDateTime).ToArray() },
                    new() { Value = hours.Values.Select(h => h.Calls).ToArray() },
                    new() { Value = hours.Values.Select(h => h.Exclusive).ToArray() },
                },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM script_call_hours WHERE script_id = ANY($1) AND hour < $2::timestamptz - interval '8 days'")
            {
                Parameters = { new() { Value = scripts.Distinct().ToArray() }, new() { Value = hours.Keys.Max(k => k.Hour).UtcDateTime } },
            });
        }

        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            // The pooled connection's reader keeps its last command, and through it this batch, until the connection is
            // used again: emptied, the batch no longer holds the parameter arrays there.
            batch.BatchCommands.Clear();
        }
    }

    /// <summary>The scripts' calls and exclusively attributed calls in the 7 days before <paramref name="now"/>, in one query; scripts without calls are absent.</summary>
    public async Task<Dictionary<long, (long Calls, long Exclusive)>> RecentAttributionAsync(IReadOnlyCollection<long> scriptIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long ScriptId, long Calls, long Exclusive)>(new CommandDefinition(
            """
            SELECT script_id, sum(calls)::bigint, sum(exclusive)::bigint FROM script_call_hours
            WHERE script_id = ANY(@scriptIds) AND hour > @since GROUP BY script_id
            """,
            new { scriptIds = scriptIds.ToArray(), since = now.UtcDateTime.AddDays(-7) }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.ScriptId, r => (r.Calls, r.Exclusive));
    }

    private static async Task AttachNumbersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long projectId, long scriptId, IReadOnlyList<string> numbers, CancellationToken cancellationToken)
    {
        await EnsureNotForeignAsync(connection, transaction, projectId, numbers, "replaceable_numbers", cancellationToken);
        foreach (var number in numbers)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO phones (project_id, phone, script_id, is_external) VALUES (@projectId, @number, @scriptId, true)
                ON CONFLICT (phone) DO UPDATE SET script_id = EXCLUDED.script_id
                """,
                new { projectId, number, scriptId }, transaction, cancellationToken: cancellationToken));
        }
    }

    private static async Task EnsureNotForeignAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long projectId, IReadOnlyList<string> numbers, string field, CancellationToken cancellationToken)
    {
        var foreign = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT phone FROM phones WHERE phone = ANY(@numbers) AND project_id <> @projectId LIMIT 1",
            new { numbers = numbers.ToArray(), projectId }, transaction, cancellationToken: cancellationToken));
        if (foreign is not null)
        {
            throw new ApiValidationException(field, $"number {foreign} belongs to another project");
        }
    }

    private static DynamicParameters Parameters(long projectId, ScriptInput input)
    {
        var p = new DynamicParameters(input);
        p.Add("projectId", projectId);
        return p;
    }
}
