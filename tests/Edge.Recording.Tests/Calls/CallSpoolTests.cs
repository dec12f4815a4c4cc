using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Testing;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Calltracking.Edge.Recording.Tests.Calls;

/// <summary>The durable spool and its drain into real PostgreSQL: nothing lost, nothing doubled.</summary>
public sealed class CallSpoolTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private static IOptions<CallHistoryOptions> Options(string dir) => Microsoft.Extensions.Options.Options.Create(new CallHistoryOptions { SpoolDirectory = dir, SpoolBatchSize = 3 });

    private static string NewDirectory() => Directory.CreateTempSubdirectory("edge-spool-test").FullName;

    /// <summary>A call's four events (three when not answered). With <paramref name="endRepeats"/> they are as the recorder writes them now: the end repeats the ringing and answer times; without, as segments from before that were.</summary>
    private static IEnumerable<SpoolEvent> CallEvents(long project, Guid id, DateTimeOffset start, string status = "ANSWER", bool endRepeats = false)
    {
        var answered = status == "ANSWER";
        yield return new SpoolEvent { Kind = "started", CallId = id, At = start, ProjectId = project, Callee = "74951234567", Caller = "79161234567", VisitId = "100001", Marker = "direct", Confidence = "exclusive" };
        yield return new SpoolEvent { Kind = "ringing", CallId = id, At = start.AddSeconds(2), RepeatedAtEnd = endRepeats ? true : null };
        if (answered)
        {
            yield return new SpoolEvent { Kind = "answered", CallId = id, At = start.AddSeconds(7), RepeatedAtEnd = endRepeats ? true : null };
        }

        yield return new SpoolEvent
        {
            Kind = "ended", CallId = id, At = start.AddSeconds(67), Status = status, SipCode = answered ? null : 486,
            RingingAt = endRepeats ? start.AddSeconds(2) : null, AnsweredAt = endRepeats && answered ? start.AddSeconds(7) : null,
        };
    }

    private async Task<string?> EndReasonAsync(Guid id)
    {
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string?>("SELECT end_reason FROM calls WHERE id = @id", new { id });
    }

    private async Task<long> ProjectAsync() => (await new ProjectStore(stores.DataSource).CreateAsync("spool", CancellationToken.None)).ProjectId;

    [Fact]
    public async Task Events_survive_a_restart_as_fsynced_segments()
    {
        var dir = NewDirectory();
        var project = await ProjectAsync();
        var id = Guid.NewGuid();
        await using (var spool = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance))
        {
            foreach (var e in CallEvents(project, id, DateTimeOffset.UtcNow))
            {
                spool.Append(e);
            }
        }

        await using var reopened = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance);
        var segments = reopened.Segments().ToList();
        Assert.InRange(segments.Count, 2, 4);
        Assert.Equal(["started", "ringing", "answered", "ended"], segments.SelectMany(CallSpool.Read).Select(e => e.Kind));
        Assert.True(reopened.Ready.TryRead(out var first));
        Assert.Equal(segments[0], first.Path);
        Assert.Null(first.Events); // left by the previous run: read from the file
    }

    /// <summary>
    /// A segment write the disk refuses (here its file's name is taken by a folder) is counted and retried under the
    /// next name; the events wait in memory meanwhile and nothing of them is lost.
    /// </summary>
    [Fact]
    public async Task A_refused_write_is_counted_and_retried_under_the_next_name()
    {
        var dir = NewDirectory();
        Directory.CreateDirectory(Path.Combine(dir, "calls-000000000001.jsonl.tmp"));
        await using var spool = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance);
        var id = Guid.NewGuid();
        spool.Append(new SpoolEvent { Kind = "started", CallId = id, At = DateTimeOffset.UtcNow, ProjectId = 1, Callee = "74951234567" });

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var segment = await spool.Ready.ReadAsync(wait.Token);
        Assert.EndsWith("calls-000000000002.jsonl", segment.Path, StringComparison.Ordinal);
        Assert.Equal(id, Assert.Single(CallSpool.Read(segment.Path)).CallId);
        Assert.Equal(1, spool.WriteFailures);
    }

    /// <summary>
    /// A segment a crash caught before its rename: its whole lines are kept as a segment of the next run (the torn tail
    /// skipped), an empty one is removed.
    /// </summary>
    [Fact]
    public async Task A_segment_cut_short_by_a_crash_keeps_its_whole_lines()
    {
        var dir = NewDirectory();
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        var lines = string.Join("\n", new[] { first, second }.Select(id => System.Text.Json.JsonSerializer.Serialize(
            new SpoolEvent { Kind = "started", CallId = id, At = DateTimeOffset.UtcNow, ProjectId = 1, Callee = "74951234567" }, SpoolEventJson.Default.SpoolEvent)));
        await File.WriteAllTextAsync(Path.Combine(dir, "calls-000000000007.jsonl.tmp"), lines + "\n{\"kind\":\"ende");
        await File.WriteAllTextAsync(Path.Combine(dir, "calls-000000000008.jsonl.tmp"), string.Empty);

        await using var spool = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance);
        Assert.Equal((1, 1), (spool.Salvaged, spool.LeftOver));
        Assert.True(spool.Ready.TryRead(out var segment));
        Assert.Equal([first, second], spool.EventsOf(segment).Select(e => e.CallId));
        Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp"));
    }

    /// <summary>A segment the drainer takes while it keeps up carries its events, the same ones its file holds.</summary>
    [Fact]
    public async Task A_fresh_segment_is_offered_with_its_events_in_memory_and_on_disk()
    {
        var dir = NewDirectory();
        var project = await ProjectAsync();
        await using var spool = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance);
        foreach (var e in CallEvents(project, Guid.NewGuid(), DateTimeOffset.UtcNow))
        {
            spool.Append(e);
        }

        var kinds = new List<string>();
        while (kinds.Count < 4)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var segment = await spool.Ready.ReadAsync(wait.Token);
            Assert.NotNull(segment.Events);
            Assert.Equal(CallSpool.Read(segment.Path), segment.Events);
            kinds.AddRange(spool.EventsOf(segment).Select(e => e.Kind));
        }

        Assert.Equal(["started", "ringing", "answered", "ended"], kinds);
    }

    /// <summary>Past the events it may hold in memory, the spool offers segments by file only, and their events still arrive.</summary>
    [Fact]
    public async Task Past_the_events_held_in_memory_a_segment_is_offered_by_its_file()
    {
        var dir = NewDirectory();
        var project = await ProjectAsync();
        var options = Microsoft.Extensions.Options.Options.Create(new CallHistoryOptions { SpoolDirectory = dir, SpoolEventsHeld = 3, SpoolGatherMilliseconds = 1000 });
        await using var spool = new CallSpool(options, NullLogger<CallSpool>.Instance);
        foreach (var e in CallEvents(project, Guid.NewGuid(), DateTimeOffset.UtcNow))
        {
            spool.Append(e);
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var segment = await spool.Ready.ReadAsync(wait.Token);
        Assert.Null(segment.Events); // four events in one segment, three may be held
        Assert.Equal(["started", "ringing", "answered", "ended"], spool.EventsOf(segment).Select(e => e.Kind));
    }

    [Theory]
    [InlineData(nameof(CallHistoryOptions.SpoolEventsHeld), -1)]
    [InlineData(nameof(CallHistoryOptions.SpoolEventsHeld), 10_000_001)]
    [InlineData(nameof(CallHistoryOptions.AbandonedAfterHours), -1)]
    [InlineData(nameof(CallHistoryOptions.AbandonedAfterHours), 8_761)]
    public void Settings_out_of_range_are_refused_at_start_naming_them(string setting, int value)
    {
        var options = new CallHistoryOptions { SpoolDirectory = NewDirectory() };
        typeof(CallHistoryOptions).GetProperty(setting)!.SetValue(options, value);
        var result = new CallHistoryOptionsValidation().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("CallHistory:" + setting, result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>Group commit: a burst of events within the gather window becomes one fsync'd segment, not one per wake-up.</summary>
    [Fact]
    public async Task A_burst_within_the_gather_window_is_one_segment()
    {
        var dir = NewDirectory();
        var project = await ProjectAsync();
        await using (var spool = new CallSpool(Microsoft.Extensions.Options.Options.Create(new CallHistoryOptions { SpoolDirectory = dir, SpoolGatherMilliseconds = 1000 }), NullLogger<CallSpool>.Instance))
        {
            foreach (var id in Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()))
            {
                foreach (var e in CallEvents(project, id, DateTimeOffset.UtcNow))
                {
                    spool.Append(e);
                }
            }
        }

        var segment = Assert.Single(Directory.EnumerateFiles(dir, "calls-*.jsonl"));
        Assert.Equal(40, CallSpool.Read(segment).Count);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public void A_gather_window_out_of_range_is_refused_at_start(int milliseconds)
    {
        var result = new CallHistoryOptionsValidation().Validate(null, new CallHistoryOptions { SpoolDirectory = NewDirectory(), SpoolGatherMilliseconds = milliseconds });
        Assert.True(result.Failed);
        Assert.Contains("CallHistory:SpoolGatherMilliseconds", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_torn_last_line_is_skipped()
    {
        var dir = NewDirectory();
        var path = Path.Combine(dir, "calls-000000000001.jsonl");
        File.WriteAllText(path, """{"kind":"started","callId":"9f0e2f5a-3f55-4a4b-9a6b-8b2d2c1e0f01","at":"2026-11-23T10:00:00+00:00"}""" + "\n" + """{"kind":"ended","callId":"9f0e""");
        var events = CallSpool.Read(path);
        Assert.Equal("started", Assert.Single(events).Kind);
    }

    /// <summary>Lines leave null fields out; lines that carry them (as earlier versions wrote) read the same.</summary>
    [Fact]
    public async Task Events_are_written_without_null_fields_and_read_back_with_or_without_them()
    {
        var dir = NewDirectory();
        var id = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        var ringing = new SpoolEvent { Kind = "ringing", CallId = id, At = at, RepeatedAtEnd = true };
        await using (var spool = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance))
        {
            spool.Append(ringing);
        }

        var path = Directory.GetFiles(dir, "calls-*.jsonl").Single();
        var line = File.ReadAllLines(path).Single();
        Assert.DoesNotContain("null", line, StringComparison.Ordinal);
        Assert.Equal(ringing, Assert.Single(CallSpool.Read(path)));

        var older = Path.Combine(dir, "calls-000000000099.jsonl");
        File.WriteAllText(older, "{\"kind\":\"ringing\",\"callId\":\"" + id + "\",\"at\":\"2026-11-23T10:00:00+00:00\",\"projectId\":null,\"callee\":null,\"recorded\":null,\"sipCode\":null,\"ringingAt\":null,\"repeatedAtEnd\":true}\n");
        Assert.Equal(ringing, Assert.Single(CallSpool.Read(older)));
    }

    [Fact]
    public async Task Replaying_a_segment_writes_the_same_row_once()
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var id = Guid.NewGuid();
        var start = DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var events = CallEvents(project, id, start).ToList();

        // The project's script has no webhooks, so nothing is queued for delivery.
        Assert.Equal(0, await store.ApplyAsync(events, CancellationToken.None));
        await store.ApplyAsync(events, CancellationToken.None);

        await using var connection = await stores.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM calls WHERE id = @id", new { id }));
        var row = await store.GetAsync(project, id, CancellationToken.None);
        Assert.Equal("ANSWER", row!.Status);
        Assert.Equal(67, row.Duration);
        Assert.Equal(7, row.WaitingTime);
        Assert.Equal(60, row.AnswerDuration);
    }

    [Fact]
    public async Task Calls_an_earlier_run_left_open_are_closed_at_their_last_known_moment_and_only_those()
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var (mine, other) = (Guid.NewGuid(), Guid.NewGuid());
        var cutoff = DateTimeOffset.Parse("2026-11-23T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var before = cutoff.AddMinutes(-10);
        var (answered, ringing, ended, afterStart, otherEdge) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await store.ApplyAsync([.. CallEvents(project, answered, before).Where(e => e.Kind != "ended"), .. CallEvents(project, ringing, before, "BUSY").Where(e => e.Kind != "ended"), .. CallEvents(project, ended, before)], CancellationToken.None, mine);
        await store.ApplyAsync([.. CallEvents(project, afterStart, cutoff.AddSeconds(1)).Take(1)], CancellationToken.None, mine);
        await store.ApplyAsync([.. CallEvents(project, otherEdge, before).Take(1)], CancellationToken.None, other);

        Assert.Equal((2, 0), await store.CloseInterruptedAsync(mine, cutoff, CancellationToken.None));
        Assert.Equal((0, 0), await store.CloseInterruptedAsync(mine, cutoff, CancellationToken.None));

        var closedAnswered = (await store.GetAsync(project, answered, CancellationToken.None))!;
        Assert.Equal(("ANSWER", 7, 7, 0, CallRecordStore.InterruptedReason), (closedAnswered.Status, closedAnswered.Duration, closedAnswered.WaitingTime, closedAnswered.AnswerDuration, await EndReasonAsync(answered)));
        var closedRinging = (await store.GetAsync(project, ringing, CancellationToken.None))!;
        Assert.Equal(("CONGESTION", 2, 0), (closedRinging.Status, closedRinging.Duration, closedRinging.AnswerDuration));
        Assert.Equal("ANSWER", (await store.GetAsync(project, ended, CancellationToken.None))!.Status);
        Assert.Null(await EndReasonAsync(ended));
        Assert.Equal("ACTIVE", (await store.GetAsync(project, afterStart, CancellationToken.None))!.Status);
        Assert.Equal("ACTIVE", (await store.GetAsync(project, otherEdge, CancellationToken.None))!.Status);

        // The per-status totals follow: two ACTIVE left, three ANSWER, one CONGESTION.
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        var totals = (await connection.QueryAsync<(string Status, long N)>("SELECT status, n FROM call_totals WHERE project_id = @project AND n > 0", new { project })).ToDictionary(t => t.Status, t => t.N);
        Assert.Equal(new Dictionary<string, long> { ["ACTIVE"] = 2, ["ANSWER"] = 2, ["CONGESTION"] = 1 }, totals);
    }

    /// <summary>
    /// Calls whose edge never came back: relayed calls ACTIVE past the age are closed, whichever edge relayed them (or
    /// none named, from before calls named their edge); younger ones, ended ones and calls recorded through the API
    /// are left as they are.
    /// </summary>
    [Fact]
    public async Task Relayed_calls_left_active_past_the_age_are_closed_and_only_those()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var old = time.GetUtcNow().AddHours(-25);
        var (gone, unnamed, young, ended) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await store.ApplyAsync([.. CallEvents(project, gone, old).Where(e => e.Kind != "ended"), .. CallEvents(project, ended, old)], CancellationToken.None, Guid.NewGuid());
        await store.ApplyAsync([.. CallEvents(project, unnamed, old, "BUSY").Where(e => e.Kind != "ended")], CancellationToken.None, edgeInstance: null);
        await store.ApplyAsync([.. CallEvents(project, young, time.GetUtcNow().AddMinutes(-23 * 60 - 30)).Take(1)], CancellationToken.None, Guid.NewGuid());
        var external = await store.InsertExternalAsync(project, new ExternalCall("74951234567", "79161234567", old, 0, 0, "ACTIVE", null, null, null, null), CancellationToken.None);

        var sweeper = new AbandonedCallSweeper(store, Options(NewDirectory()), time, Microsoft.Extensions.Logging.Abstractions.NullLogger<AbandonedCallSweeper>.Instance);
        await sweeper.SweepAsync(TimeSpan.FromHours(24), CancellationToken.None);
        Assert.Equal((0, 0), await store.CloseAbandonedAsync(time.GetUtcNow().AddHours(-24), CancellationToken.None));

        var closedGone = (await store.GetAsync(project, gone, CancellationToken.None))!;
        Assert.Equal(("ANSWER", 7, 0, CallRecordStore.AbandonedReason), (closedGone.Status, closedGone.Duration, closedGone.AnswerDuration, await EndReasonAsync(gone)));
        Assert.Equal(("CONGESTION", CallRecordStore.AbandonedReason), ((await store.GetAsync(project, unnamed, CancellationToken.None))!.Status, await EndReasonAsync(unnamed)));
        Assert.Equal("ACTIVE", (await store.GetAsync(project, young, CancellationToken.None))!.Status);
        Assert.Equal("ANSWER", (await store.GetAsync(project, ended, CancellationToken.None))!.Status);
        Assert.Null(await EndReasonAsync(ended));
        Assert.Equal("ACTIVE", (await store.GetAsync(project, external.Id, CancellationToken.None))!.Status);

        // The loop's first sweep is an hour in; by then the call that was 23.5 h old has passed the age.
        using var stop = new CancellationTokenSource();
        var loop = sweeper.RunAsync(stop.Token);
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal("ACTIVE", (await store.GetAsync(project, young, CancellationToken.None))!.Status);
        time.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 200 && (await store.GetAsync(project, young, CancellationToken.None))!.Status == "ACTIVE"; i++)
        {
            await Task.Delay(50); // the sweep's statement runs on its own after the tick
        }

        Assert.Equal(CallRecordStore.AbandonedReason, await EndReasonAsync(young));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task The_sweep_is_off_at_zero_hours()
    {
        var sweeper = new AbandonedCallSweeper(new CallRecordStore(stores.DataSource), Microsoft.Extensions.Options.Options.Create(new CallHistoryOptions { SpoolDirectory = NewDirectory(), AbandonedAfterHours = 0 }), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<AbandonedCallSweeper>.Instance);
        await sweeper.StartAsync(CancellationToken.None);
        await sweeper.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(sweeper.ExecuteTask.IsCompletedSuccessfully);
    }

    /// <summary>A run killed while a call was answered: the next run stores the call from the spool, then closes it as the end was never written.</summary>
    [Fact]
    public async Task The_drainer_stores_what_a_killed_run_spooled_then_closes_its_open_calls()
    {
        var dir = NewDirectory();
        var project = await ProjectAsync();
        var id = Guid.NewGuid();
        Guid instance;
        await using (var killed = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance))
        {
            instance = killed.Instance;
            foreach (var e in CallEvents(project, id, DateTimeOffset.UtcNow.AddMinutes(-1)).Where(e => e.Kind != "ended"))
            {
                killed.Append(e);
            }
        }

        await using var spool = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance);
        Assert.Equal(instance, spool.Instance);
        Assert.True(spool.LeftOver > 0);
        var store = new CallRecordStore(stores.DataSource);
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var drainer = new SpoolDrainer(spool, store, Options(dir), meters.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TimeProvider.System, NullLogger<SpoolDrainer>.Instance);
        await drainer.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            CallRow? row;
            while ((row = await store.GetAsync(project, id, CancellationToken.None)) is not { Status: not "ACTIVE" })
            {
                Assert.True(DateTime.UtcNow < deadline, $"the call was not closed; it is {row?.Status ?? "not stored"}");
                await Task.Delay(50);
            }

            Assert.Equal(("ANSWER", CallRecordStore.InterruptedReason), (row.Status, await EndReasonAsync(id)));
        }
        finally
        {
            await drainer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_spool_keeps_its_identity_across_runs_and_a_new_directory_gets_a_new_one()
    {
        var dir = NewDirectory();
        Guid first;
        await using (var spool = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance))
        {
            first = spool.Instance;
        }

        await using var again = new CallSpool(Options(dir), NullLogger<CallSpool>.Instance);
        await using var elsewhere = new CallSpool(Options(NewDirectory()), NullLogger<CallSpool>.Instance);
        Assert.Equal(first, again.Instance);
        Assert.NotEqual(first, elsewhere.Instance);
        Assert.NotEqual(Guid.Empty, first);

        // A damaged identity file is replaced rather than stopping the edge (its old calls then stay as they are).
        var damaged = NewDirectory();
        await File.WriteAllTextAsync(Path.Combine(damaged, "instance"), "not a guid");
        await using var replaced = new CallSpool(Options(damaged), NullLogger<CallSpool>.Instance);
        Assert.NotEqual(Guid.Empty, replaced.Instance);
        Assert.Equal(replaced.Instance.ToString("D"), (await File.ReadAllTextAsync(Path.Combine(damaged, "instance"))).Trim());
    }

    /// <summary>
    /// Segments cut a call anywhere: its events may all be in one segment or spread over three. Each way must give the
    /// same row, and the per-status totals must count it once, as ANSWER.
    /// </summary>
    [Theory]
    [InlineData("1111", false)]
    [InlineData("1222", false)]
    [InlineData("1123", false)]
    [InlineData("1233", false)]
    [InlineData("1111", true)]
    [InlineData("1222", true)]
    [InlineData("1123", true)]
    [InlineData("1233", true)]
    public async Task A_call_split_over_segments_in_any_way_gives_the_same_row(string segmentOfEach, bool endRepeats)
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var start = DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var ids = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        var events = ids.Select(id => CallEvents(project, id, start, endRepeats: endRepeats).ToList()).ToList();
        for (var segment = '1'; segment <= '3'; segment++)
        {
            // Every segment holds the five calls' events of that segment, interleaved as they would arrive.
            var batch = Enumerable.Range(0, 4).Where(k => segmentOfEach[k] == segment).SelectMany(k => events.Select(e => e[k])).ToList();
            await store.ApplyAsync(batch, CancellationToken.None);
        }

        foreach (var id in ids)
        {
            var row = await store.GetAsync(project, id, CancellationToken.None);
            Assert.Equal("ANSWER", row!.Status);
            Assert.Equal(67, row.Duration);
            Assert.Equal(7, row.WaitingTime);
            Assert.Equal(60, row.AnswerDuration);
        }

        await using var connection = await stores.DataSource.OpenConnectionAsync();
        var totals = (await connection.QueryAsync<(string Status, long N)>("SELECT status, n FROM call_totals WHERE project_id = @project AND n <> 0", new { project })).ToList();
        Assert.Equal(("ANSWER", 5L), Assert.Single(totals));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_ringing_and_answer_that_the_end_repeats_are_written_with_the_end_not_on_their_own(bool endRepeats, bool writtenAlone)
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var id = Guid.NewGuid();
        var start = DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var events = CallEvents(project, id, start, endRepeats: endRepeats).ToList();
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        const string Version = "SELECT xmin::text || '/' || coalesce(answered_at::text, '-') FROM calls WHERE id = @id";

        await store.ApplyAsync(events[..1], CancellationToken.None);
        var afterStart = await connection.ExecuteScalarAsync<string>(Version, new { id });
        await store.ApplyAsync(events[1..3], CancellationToken.None);
        var afterAnswer = await connection.ExecuteScalarAsync<string>(Version, new { id });

        // The row version (xmin) changes only when the segment's ringing and answer were written on their own.
        Assert.Equal(writtenAlone, afterAnswer != afterStart);
        await store.ApplyAsync(events[3..], CancellationToken.None);
        var row = await store.GetAsync(project, id, CancellationToken.None);
        Assert.Equal("ANSWER", row!.Status);
        Assert.Equal(67, row.Duration);
        Assert.Equal(7, row.WaitingTime);
        Assert.Equal(60, row.AnswerDuration);
        Assert.Equal(start.AddSeconds(7).UtcDateTime, await connection.ExecuteScalarAsync<DateTime>("SELECT answered_at FROM calls WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task A_busy_call_ended_in_a_later_segment_has_no_answer_time()
    {
        var store = new CallRecordStore(stores.DataSource);
        var project = await ProjectAsync();
        var id = Guid.NewGuid();
        var start = DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var events = CallEvents(project, id, start, "BUSY").ToList();
        await store.ApplyAsync(events[..2], CancellationToken.None);
        await store.ApplyAsync(events[2..], CancellationToken.None);
        await store.ApplyAsync(events[2..], CancellationToken.None);

        var row = await store.GetAsync(project, id, CancellationToken.None);
        Assert.Equal("BUSY", row!.Status);
        Assert.Equal(67, row.Duration);
        Assert.Equal(67, row.WaitingTime);
        Assert.Equal(0, row.AnswerDuration);
    }

    [Fact]
    public async Task While_postgres_is_down_records_wait_in_the_spool_and_arrive_later()
    {
        var dir = NewDirectory();
        var project = await ProjectAsync();
        var id = Guid.NewGuid();
        var options = Options(dir);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();

        // A drainer whose PostgreSQL is unreachable: it retries and keeps the segment.
        await using (var dead = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={FreePort.Tcp()};Username=postgres;Timeout=1"))
        await using (var spool = new CallSpool(options, NullLogger<CallSpool>.Instance))
        {
            using var drainer = new SpoolDrainer(spool, new CallRecordStore(dead), Microsoft.Extensions.Options.Options.Create(new CallHistoryOptions { SpoolDirectory = dir, RetrySeconds = 1 }), meters, TimeProvider.System, NullLogger<SpoolDrainer>.Instance);
            await drainer.StartAsync(CancellationToken.None);
            foreach (var e in CallEvents(project, id, DateTimeOffset.UtcNow, "BUSY"))
            {
                spool.Append(e);
            }

            await Task.Delay(1500);
            await drainer.StopAsync(CancellationToken.None);
            Assert.NotEmpty(spool.Segments());
        }

        // The edge restarts with PostgreSQL back: the spool is replayed.
        await using (var spool = new CallSpool(options, NullLogger<CallSpool>.Instance))
        {
            using var drainer = new SpoolDrainer(spool, new CallRecordStore(stores.DataSource), options, meters, TimeProvider.System, NullLogger<SpoolDrainer>.Instance);
            await drainer.StartAsync(CancellationToken.None);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (spool.Segments().Any() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            await drainer.StopAsync(CancellationToken.None);
            Assert.Empty(spool.Segments());
        }

        var row = await new CallRecordStore(stores.DataSource).GetAsync(project, id, CancellationToken.None);
        Assert.Equal("BUSY", row!.Status);
    }
}
