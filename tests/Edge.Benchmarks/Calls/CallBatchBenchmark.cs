using System.Diagnostics;
using System.Globalization;
using Calltracking.Edge.Host.Migrations;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Recording.Recordings;
using Calltracking.Edge.Testing;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Calltracking.Edge.Benchmarks.Calls;

/// <summary>
/// What the call history costs PostgreSQL, through the real stores, on a history of 200,000 calls:
/// <list type="bullet">
/// <item>the spool drainer's segments, shaped as at 2,000 calls/s with a 20 ms gather window: 46 new calls and the ends of
/// the 46 started five segments before (their ringing and answer repeated at the end), through
/// <see cref="CallRecordStore.ApplyAsync"/>;</item>
/// <item>the single-row updates that follow a call and leave its status alone: the webhook dispatcher's
/// <c>webhook_state</c> (its statement) and <see cref="RecordingStore.MarkReadyAsync"/>, each for 100 of the calls the
/// round ended.</item>
/// </list>
/// Two databases on one server, one migrated only up to a baseline version and one fully, take rounds in turn (the
/// order alternating), so the machine's noise falls on both alike; each is served by one connection, so the CPU time of
/// its PostgreSQL backend (from <c>/proc</c>: the server must run on this host) is the statements'. The report gives
/// wall time and backend CPU per segment, per call and per update, and the ratio to the baseline. Run:
/// <c>dotnet run -c Release --project tests/Edge.Benchmarks -- call-batches [rounds] [calls per segment] [baseline version]</c>
/// (defaults 40, 46, 204; <c>EDGE_TEST_POSTGRES</c> names the server, else the test fixture starts one).
/// <c>BENCH_VARIANT_SQL</c> adds a third database, fully migrated and then changed by that SQL, to try a schema change
/// before writing it as a migration.
/// </summary>
internal static class CallBatchBenchmark
{
    private const int SegmentsPerRound = 100;
    private const int EndedAfter = 5;
    private static readonly string[] Outcomes = ["ANSWER", "ANSWER", "ANSWER", "ANSWER", "ANSWER", "ANSWER", "BUSY", "NOANSWER", "CANCEL", "CONGESTION"];

    public static async Task RunAsync(int rounds, int callsPerSegment, int baselineVersion)
    {
        var all = MigrationCatalog.FromModules();
        List<(string Name, IReadOnlyList<Migration> Migrations, string? Setup)> variants =
        [
            ($"migrations to {baselineVersion:D4}", all.Where(m => m.Version <= baselineVersion).ToList(), null),
            ($"migrations to {all[^1].Version:D4}", all, null),
        ];
        if (Environment.GetEnvironmentVariable("BENCH_VARIANT_SQL") is { Length: > 0 } sql)
        {
            variants.Add(("all, then BENCH_VARIANT_SQL", all, sql));
        }

        var databases = new List<Database>();
        try
        {
            foreach (var (name, migrations, setup) in variants)
            {
                databases.Add(await Database.CreateAsync(name, migrations, setup, callsPerSegment));
            }

            Console.WriteLine(FormattableString.Invariant(
                $"{callsPerSegment} new calls and {callsPerSegment} ends per segment; {rounds} rounds per database, in turn, each of {SegmentsPerRound} segments and then {2 * SegmentsPerRound} single-row updates"));
            for (var round = 0; round < rounds; round++)
            {
                foreach (var database in round % 2 == 0 ? databases : Enumerable.Reverse(databases))
                {
                    await database.RoundAsync();
                }
            }

            var baseline = databases[0];
            var segments = (double)rounds * SegmentsPerRound;
            foreach (var database in databases)
            {
                var (segment, update) = (database.Segments, database.Updates);
                var totals = await database.TotalsCheckAsync();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{database.Name,-28} segment: {segment.Wall / segments:F3} ms ({segment.Wall / baseline.Segments.Wall:F2}x), backend CPU {segment.Cpu * 1000 / segments:F3} ms = {segment.Cpu * 1e6 / segments / callsPerSegment:F1} µs per call ({segment.Cpu / baseline.Segments.Cpu:F2}x); update: {update.Wall * 1000 / (2 * segments):F0} µs ({update.Wall / baseline.Updates.Wall:F2}x), backend CPU {update.Cpu * 1e6 / (2 * segments):F0} µs ({update.Cpu / baseline.Updates.Cpu:F2}x); {totals}"));
            }
        }
        finally
        {
            foreach (var database in databases)
            {
                await database.DropAsync();
            }
        }
    }

    /// <summary>Wall milliseconds and backend CPU seconds, summed over rounds.</summary>
    private sealed class Cost
    {
        public double Wall { get; set; }

        public double Cpu { get; set; }
    }

    private sealed class Database
    {
        private readonly NpgsqlDataSource dataSource;
        private readonly string connectionString;
        private readonly CallRecordStore store;
        private readonly RecordingStore recordings;
        private readonly CallSource calls;
        private readonly int backend;

        private Database(string name, string connectionString, NpgsqlDataSource dataSource, CallSource calls, int backend)
        {
            Name = name;
            this.connectionString = connectionString;
            this.dataSource = dataSource;
            store = new CallRecordStore(dataSource);
            recordings = new RecordingStore(dataSource);
            this.calls = calls;
            this.backend = backend;
        }

        public string Name { get; }

        public Cost Segments { get; private set; } = new();

        public Cost Updates { get; private set; } = new();

        public static async Task<Database> CreateAsync(string name, IReadOnlyList<Migration> migrations, string? setup, int callsPerSegment)
        {
            var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("callbatchbench");
            await using (var migrate = NpgsqlDataSource.Create(connectionString))
            {
                await new MigrationRunner(migrate, migrations, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
                if (setup is not null)
                {
                    await using var connection = await migrate.OpenConnectionAsync();
                    await connection.ExecuteAsync(setup);
                }
            }

            // One connection, so one backend serves every statement; prepared and not reset as the host's data source
            // does (StoreServiceCollectionExtensions.CreateDataSource).
            var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
            {
                MaxPoolSize = 1, NoResetOnClose = true, MaxAutoPrepare = 64, AutoPrepareMinUsages = 2,
            }.ConnectionString);
            var (project, _) = await new ProjectStore(dataSource).CreateAsync("bench", CancellationToken.None);
            var (other, _) = await new ProjectStore(dataSource).CreateAsync("neighbours", CancellationToken.None);
            long[] scripts;
            int backend;
            await using (var connection = await dataSource.OpenConnectionAsync())
            {
                scripts = (await connection.QueryAsync<long>(
                    "INSERT INTO scripts (project_id, name, call_cost) SELECT @project, 'bench ' || i, 1.5 * i FROM generate_series(1, 3) AS i RETURNING id",
                    new { project })).ToArray();
                await connection.ExecuteAsync("INSERT INTO scripts (project_id, name) SELECT @other, 'other ' || i FROM generate_series(1, 1000) AS i", new { other });
                await connection.ExecuteAsync(
                    """
                    INSERT INTO calls (id, project_id, script_id, callee, caller, status, started_at, ended_at, duration, waiting_time, answer_duration, visit_id, marker)
                    SELECT gen_random_uuid(), @project, @script, '74951234567', '7916' || lpad(i::text, 7, '0'),
                           (ARRAY['ANSWER','ANSWER','BUSY','NOANSWER'])[1 + i % 4], now() - i * interval '10 seconds', now() - i * interval '10 seconds' + interval '60 seconds',
                           60, 7, 53, (100000 + i)::text, 'direct'
                    FROM generate_series(1, 200000) AS i
                    """,
                    new { project, script = scripts[0] }, commandTimeout: 600);
                await connection.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 600);
                backend = await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
            }

            var database = new Database(name, connectionString, dataSource, new CallSource(project, scripts, callsPerSegment), backend);
            for (var i = 0; i < 2; i++)
            {
                await database.RoundAsync();
            }

            (database.Segments, database.Updates) = (new Cost(), new Cost());
            return database;
        }

        public async Task RoundAsync()
        {
            var work = Enumerable.Range(0, SegmentsPerRound).Select(_ => calls.NextSegment()).ToList();
            await MeasureAsync(Segments, async () =>
            {
                foreach (var segment in work)
                {
                    await store.ApplyAsync(segment, CancellationToken.None);
                }
            });

            var ended = calls.TakeEnded(SegmentsPerRound);
            await MeasureAsync(Updates, async () =>
            {
                foreach (var id in ended)
                {
                    await using (var connection = await dataSource.OpenConnectionAsync())
                    {
                        await connection.ExecuteAsync("UPDATE calls SET webhook_state = @state WHERE id = @id", new { state = "delivered", id });
                    }

                    await recordings.MarkReadyAsync(id, $"2026/12/03/{id:N}.mp3", 61.5, null, CancellationToken.None);
                }
            });
        }

        private async Task MeasureAsync(Cost cost, Func<Task> work)
        {
            var cpu = BackendCpuSeconds(backend);
            var started = Stopwatch.GetTimestamp();
            await work();
            cost.Wall += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            cost.Cpu += BackendCpuSeconds(backend) - cpu;
        }

        /// <summary>Whether <c>call_totals</c> still agrees with a count of the rows.</summary>
        public async Task<string> TotalsCheckAsync()
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var drift = await connection.ExecuteScalarAsync<long>(
                """
                SELECT count(*) FROM (SELECT project_id, status, count(*) AS n FROM calls GROUP BY 1, 2) c
                FULL JOIN (SELECT project_id, status, n FROM call_totals WHERE n <> 0) t USING (project_id, status)
                WHERE c.n IS DISTINCT FROM t.n
                """);
            return drift == 0 ? "totals agree" : $"totals DRIFTED in {drift} (project, status) pairs";
        }

        public async Task DropAsync()
        {
            await dataSource.DisposeAsync();
            await using var admin = new NpgsqlConnection(PostgresServer.Instance.AdminConnectionString);
            await admin.OpenAsync();
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\" WITH (FORCE)");
        }
    }

    /// <summary>CPU seconds (user + system) of a process on this host, from <c>/proc/PID/stat</c>; NaN when it cannot be read.</summary>
    private static double BackendCpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command; clock ticks of 1/100 s.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>Segments as the recorder writes them: new calls' starts, then for the calls started five segments before their ringing and answer (repeated at the end) and their end.</summary>
    private sealed class CallSource(long project, long[] scripts, int perSegment)
    {
        private readonly Queue<Guid[]> open = new();
        private readonly List<Guid> ended = [];
        private DateTimeOffset now = DateTimeOffset.UtcNow;
        private long serial;

        /// <summary>The last <paramref name="count"/> calls whose end was handed out since the previous take.</summary>
        public List<Guid> TakeEnded(int count)
        {
            var taken = ended.TakeLast(count).ToList();
            ended.Clear();
            return taken;
        }

        public List<SpoolEvent> NextSegment()
        {
            now = now.AddMilliseconds(20);
            var events = new List<SpoolEvent>(perSegment * 4);
            var started = new Guid[perSegment];
            for (var i = 0; i < perSegment; i++)
            {
                var n = serial++;
                started[i] = Guid.CreateVersion7();
                events.Add(new SpoolEvent
                {
                    Kind = "started", CallId = started[i], At = now, ProjectId = project, ScriptId = scripts[n % scripts.Length], PhoneId = 1000 + (n % 50),
                    Callee = "7495" + (1000000 + n % 50).ToString(CultureInfo.InvariantCulture),
                    Caller = "7916" + (n % 10_000_000).ToString("D7", CultureInfo.InvariantCulture), CallerRaw = "+7916" + (n % 10_000_000).ToString("D7", CultureInfo.InvariantCulture),
                    VisitId = (100000 + n).ToString(CultureInfo.InvariantCulture), Marker = "google_cpc_" + (n % 97).ToString(CultureInfo.InvariantCulture), Confidence = "exclusive",
                    RedirectType = "phone", Target = "sip:74957654321@pbx.example", SipCallId = started[i].ToString("N") + "@carrier.example", City = "Moscow", Recorded = false,
                });
            }

            open.Enqueue(started);
            if (open.Count > EndedAfter)
            {
                var ending = open.Dequeue();
                for (var i = 0; i < ending.Length; i++)
                {
                    var status = Outcomes[i % Outcomes.Length];
                    var answered = status == "ANSWER";
                    var ringing = now.AddMilliseconds(-60);
                    var answer = answered ? now.AddMilliseconds(-40) : (DateTimeOffset?)null;
                    events.Add(new SpoolEvent { Kind = "ringing", CallId = ending[i], At = ringing, RepeatedAtEnd = true });
                    if (answer is { } a)
                    {
                        events.Add(new SpoolEvent { Kind = "answered", CallId = ending[i], At = a, RepeatedAtEnd = true });
                    }

                    events.Add(new SpoolEvent
                    {
                        Kind = "ended", CallId = ending[i], At = now, Status = status, SipCode = answered ? null : 486, Reason = answered ? "caller hung up" : "busy",
                        RingingAt = ringing, AnsweredAt = answer,
                    });
                    ended.Add(ending[i]);
                }
            }

            return events;
        }
    }
}
