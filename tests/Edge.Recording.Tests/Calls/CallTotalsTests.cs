using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Recording.Recordings;
using Calltracking.Edge.Testing;
using Dapper;
using Npgsql;

namespace Calltracking.Edge.Recording.Tests.Calls;

/// <summary>
/// <c>call_totals</c> answers call/list's <c>total</c> without counting rows, so it must never drift from
/// <c>SELECT project_id, status, count(*) FROM calls GROUP BY 1, 2</c>, whichever way calls are written: the drainer's
/// inserts and updates (and their replays), crash recovery, the API's imports, updates of other columns, deletes and a
/// project's deletion. Each test writes one way and compares the two for the whole database.
/// </summary>
public sealed class CallTotalsTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The totals, zeros left out, equal a count of the rows per project and status.</summary>
    internal static async Task AssertTotalsAgreeAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var counted = (await connection.QueryAsync<(long Project, string Status, long N)>(
            "SELECT project_id, status, count(*) FROM calls GROUP BY 1, 2 ORDER BY 1, 2")).ToList();
        var kept = (await connection.QueryAsync<(long Project, string Status, long N)>(
            "SELECT project_id, status, n FROM call_totals WHERE n <> 0 ORDER BY 1, 2")).ToList();
        Assert.Equal(counted, kept);
    }

    private async Task<long> ProjectAsync() => (await new ProjectStore(stores.DataSource).CreateAsync("totals", CancellationToken.None)).ProjectId;

    private async Task<Dictionary<string, long>> TotalsAsync(long project)
    {
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(string Status, long N)>("SELECT status, n FROM call_totals WHERE project_id = @project AND n <> 0", new { project }))
            .ToDictionary(t => t.Status, t => t.N);
    }

    private static SpoolEvent Started(long project, Guid id) =>
        new() { Kind = "started", CallId = id, At = Start, ProjectId = project, Callee = "74951234567", Caller = "79161234567", VisitId = "100001" };

    private static SpoolEvent Ended(Guid id, string status, bool answered = false) => new()
    {
        Kind = "ended", CallId = id, At = Start.AddSeconds(60), Status = status, SipCode = answered ? null : 486,
        RingingAt = Start.AddSeconds(2), AnsweredAt = answered ? Start.AddSeconds(5) : null,
    };

    private static Guid[] Ids(int count) => Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();

    [Fact]
    public async Task Drained_segments_and_their_replays_keep_the_totals()
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var (open, whole, later) = (Ids(4), Ids(3), Ids(3));

        // New calls still ringing, calls started and ended in one segment, calls that end later.
        List<SpoolEvent> first = [.. open.Select(id => Started(project, id)), .. whole.SelectMany(id => new[] { Started(project, id), Ended(id, "ANSWER", answered: true) }), .. later.Select(id => Started(project, id))];
        // The later calls end (two answered, one busy); one open call rings, which its end will not repeat.
        List<SpoolEvent> second =
        [
            Ended(later[0], "ANSWER", answered: true), Ended(later[1], "ANSWER", answered: true), Ended(later[2], "BUSY"),
            new() { Kind = "ringing", CallId = open[0], At = Start.AddSeconds(3) },
        ];
        foreach (var segment in new[] { first, second })
        {
            await store.ApplyAsync(segment, CancellationToken.None);
            await AssertTotalsAgreeAsync(stores.DataSource);
        }

        // A replay (a crash between the commit and the segment's deletion) changes nothing, in either order.
        await store.ApplyAsync(second, CancellationToken.None);
        await store.ApplyAsync(first, CancellationToken.None);
        await AssertTotalsAgreeAsync(stores.DataSource);
        Assert.Equal(new Dictionary<string, long> { ["ACTIVE"] = 4, ["ANSWER"] = 5, ["BUSY"] = 1 }, await TotalsAsync(project));
    }

    [Fact]
    public async Task Calls_closed_after_a_crash_keep_the_totals()
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var instance = Guid.NewGuid();
        var (ringing, answered, done) = (Ids(3), Ids(2), Ids(2));
        await store.ApplyAsync(
            [
                .. ringing.Select(id => Started(project, id)),
                .. answered.SelectMany(id => new[] { Started(project, id), new SpoolEvent { Kind = "answered", CallId = id, At = Start.AddSeconds(5) } }),
                .. done.SelectMany(id => new[] { Started(project, id), Ended(id, "NOANSWER") }),
            ],
            CancellationToken.None,
            instance);

        Assert.Equal((5, 0), await store.CloseInterruptedAsync(instance, Start.AddMinutes(1), CancellationToken.None));
        await AssertTotalsAgreeAsync(stores.DataSource);
        Assert.Equal(new Dictionary<string, long> { ["CONGESTION"] = 3, ["ANSWER"] = 2, ["NOANSWER"] = 2 }, await TotalsAsync(project));
    }

    [Fact]
    public async Task Calls_recorded_through_the_api_keep_the_totals()
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        foreach (var status in new[] { "ANSWER", "BUSY", "ANSWER", "DONTCALL" })
        {
            await store.InsertExternalAsync(project, new ExternalCall("79999999999", "78888888888", Start, 20, status == "ANSWER" ? 15 : 0, status, "ym_1_2", "12345", null, null), CancellationToken.None);
        }

        await AssertTotalsAgreeAsync(stores.DataSource);
        Assert.Equal(new Dictionary<string, long> { ["ANSWER"] = 2, ["BUSY"] = 1, ["DONTCALL"] = 1 }, await TotalsAsync(project));
    }

    [Fact]
    public async Task Updates_that_move_calls_between_statuses_and_projects_keep_the_totals()
    {
        var store = new CallRecordStore(stores.DataSource);
        var (project, other) = (await ProjectAsync(), await ProjectAsync());
        var (a, b) = (Ids(3), Ids(3));
        await store.ApplyAsync([.. a.Select(id => Started(project, id)), .. b.SelectMany(id => new[] { Started(project, id), Ended(id, "ANSWER", answered: true) })], CancellationToken.None);
        await using var connection = await stores.DataSource.OpenConnectionAsync();

        // One statement that swaps statuses (the project's totals come out the same), rewrites a status with itself, and
        // moves a call to another project with a new status.
        await connection.ExecuteAsync(
            """
            UPDATE calls SET
                status = CASE WHEN id = @a0 THEN 'ANSWER' WHEN id = @b0 THEN 'ACTIVE' WHEN id = @a2 THEN 'BUSY' ELSE status END,
                project_id = CASE WHEN id = @a2 THEN @other ELSE project_id END
            WHERE id = ANY(@ids)
            """,
            new { a0 = a[0], b0 = b[0], a2 = a[2], other, ids = new[] { a[0], a[1], a[2], b[0], b[1] } });
        await AssertTotalsAgreeAsync(stores.DataSource);
        Assert.Equal(new Dictionary<string, long> { ["ACTIVE"] = 2, ["ANSWER"] = 3 }, await TotalsAsync(project));
        Assert.Equal(new Dictionary<string, long> { ["BUSY"] = 1 }, await TotalsAsync(other));
    }

    /// <summary>
    /// The webhook dispatcher and the recording worker update other columns of calls. Those updates must leave the
    /// totals rows alone: the dispatcher holds its transaction open across its HTTP deliveries, and a lock it took on a
    /// totals row would hold up every segment the drainer applies for that project until then.
    /// </summary>
    [Fact]
    public async Task Updates_of_other_columns_neither_change_the_totals_nor_hold_up_the_drainer()
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var (ringing, answered, later) = (Ids(1), Ids(1), Ids(2));
        await store.ApplyAsync(
            [Started(project, ringing[0]), Started(project, answered[0]), Ended(answered[0], "ANSWER", answered: true), .. later.Select(id => Started(project, id))],
            CancellationToken.None);
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        Assert.True(await new RecordingStore(stores.DataSource).MarkReadyAsync(answered[0], "2026/11/23/a.mp3", 55.0, null, CancellationToken.None));
        await using (var dispatcher = await connection.BeginTransactionAsync())
        {
            // The dispatcher's statement after a start and an end webhook, its transaction still open.
            await connection.ExecuteAsync("UPDATE calls SET webhook_state = @state WHERE id = @CallId", new { state = "delivered", CallId = ringing[0] }, dispatcher);
            await connection.ExecuteAsync("UPDATE calls SET webhook_state = @state WHERE id = @CallId", new { state = "delivered", CallId = answered[0] }, dispatcher);

            // Meanwhile the drainer stores new calls and ends of others of the same project and statuses.
            await using var drainerSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(stores.PostgresConnectionString) { Options = "-c lock_timeout=5000" }.ConnectionString);
            await new CallRecordStore(drainerSource).ApplyAsync([Started(project, Guid.NewGuid()), Ended(later[0], "ANSWER", answered: true), Ended(later[1], "BUSY")], CancellationToken.None);
            await dispatcher.CommitAsync();
        }

        await AssertTotalsAgreeAsync(stores.DataSource);
        Assert.Equal(new Dictionary<string, long> { ["ACTIVE"] = 2, ["ANSWER"] = 2, ["BUSY"] = 1 }, await TotalsAsync(project));

        // Once more without the drainer: the totals rows are not even rewritten (same row versions).
        const string Versions = "SELECT status || '=' || n || '@' || xmin::text FROM call_totals WHERE project_id = @project ORDER BY status";
        var before = (await connection.QueryAsync<string>(Versions, new { project })).ToList();
        await connection.ExecuteAsync("UPDATE calls SET webhook_state = 'failed', recording_state = 'ready' WHERE project_id = @project", new { project });
        Assert.Equal(before, (await connection.QueryAsync<string>(Versions, new { project })).ToList());
    }

    [Fact]
    public async Task Deleting_calls_and_a_whole_project_keeps_the_totals()
    {
        var store = new CallRecordStore(stores.DataSource);
        var (project, kept) = (await ProjectAsync(), await ProjectAsync());
        var calls = Ids(6);
        await store.ApplyAsync([.. calls.Select(id => Started(project, id)), .. calls[..3].Select(id => Ended(id, "ANSWER", answered: true)), Started(kept, Guid.NewGuid())], CancellationToken.None);
        await using var connection = await stores.DataSource.OpenConnectionAsync();

        await connection.ExecuteAsync("DELETE FROM calls WHERE id = ANY(@ids)", new { ids = new[] { calls[0], calls[3] } });
        await AssertTotalsAgreeAsync(stores.DataSource);
        Assert.Equal(new Dictionary<string, long> { ["ACTIVE"] = 2, ["ANSWER"] = 2 }, await TotalsAsync(project));

        // Deleting the project removes its calls by cascade; the totals of the other project stay.
        await connection.ExecuteAsync("DELETE FROM projects WHERE id = @project", new { project });
        await AssertTotalsAgreeAsync(stores.DataSource);
        Assert.Empty(await TotalsAsync(project));
        Assert.Equal(new Dictionary<string, long> { ["ACTIVE"] = 1 }, await TotalsAsync(kept));
    }
}
