using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Calltracking.Edge.Host.Migrations;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Testing;
using Calltracking.Shared.Filters;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Calltracking.Edge.Benchmarks.Calls;

/// <summary>
/// <c>call/list</c> on a project with a generated history (default 1,000,000 calls over a year, plus another
/// project's 200,000 to keep the index honest): p50/p95/p99 of filtered, sorted pages of 100 through the real
/// <see cref="CallRecordStore"/> (page query and total count), with a trivial query in the same run as the baseline.
/// Run: <c>dotnet run -c Release --project tests/Edge.Benchmarks -- call-list [calls]</c>.
/// </summary>
internal static class CallListBenchmark
{
    private const int Runs = 100;

    public static async Task RunAsync(int calls)
    {
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("calllistbench");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new MigrationRunner(dataSource, MigrationCatalog.FromModules(), NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        var projects = new ProjectStore(dataSource);
        var (project, _) = await projects.CreateAsync("bench", CancellationToken.None);
        var (other, _) = await projects.CreateAsync("neighbour", CancellationToken.None);

        var generate = Stopwatch.StartNew();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            const string Insert = """
                INSERT INTO calls (id, project_id, callee, caller, status, started_at, duration, waiting_time, answer_duration, visit_id, marker, city)
                SELECT gen_random_uuid(), @project, '7495' || lpad((i % 50)::text, 7, '0'), '7916' || lpad((i::bigint * 7919 % 10000000)::text, 7, '0'),
                       (ARRAY['ANSWER','ANSWER','ANSWER','BUSY','NOANSWER','CANCEL','CONGESTION','CHANUNAVAIL','DONTCALL'])[1 + i % 9],
                       timestamptz '2026-01-01' + (i::double precision / @n) * interval '365 days',
                       30 + i % 600, 5 + i % 40, i % 560, (100000 + i)::text,
                       (ARRAY['direct','google_cpc','yandex_direct','site','vk_ads','mail','organic'])[1 + i % 7] || '_' || (i % 97)::text,
                       (ARRAY['Moscow','Saint Petersburg','Kazan','Novosibirsk','Minsk'])[1 + i % 5]
                FROM generate_series(1, @n) AS i
                """;
            await connection.ExecuteAsync(Insert, new { project, n = calls }, commandTimeout: 600);
            await connection.ExecuteAsync(Insert, new { project = other, n = calls / 5 }, commandTimeout: 600);
            // As autovacuum would: the visibility map lets counts run as index-only scans.
            await connection.ExecuteAsync("VACUUM ANALYZE calls", commandTimeout: 600);
        }

        Console.WriteLine(FormattableString.Invariant($"generated {calls:N0} calls (+{calls / 5:N0} in another project) in {generate.Elapsed.TotalSeconds:F1} s"));
        var store = new CallRecordStore(dataSource);
        var fields = FilterParser.For(
            new FilterField("date", "c.started_at", FilterValueType.DateTime),
            new FilterField("status", "c.status", FilterValueType.String),
            new FilterField("marker", "c.marker", FilterValueType.String),
            new FilterField("duration", "c.duration", FilterValueType.Integer),
            new FilterField("city", "c.city", FilterValueType.String));

        var baseline = await MeasureAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await connection.ExecuteScalarAsync<int>("SELECT 1");
        });
        Report("baseline: SELECT 1 round trip", baseline, baseline);

        (string Name, string Body)[] cases =
        [
            ("newest 100, no filter", """{"sort": ["date", "desc"], "limit": 100}"""),
            ("one month, answered, newest first", """{"filters": {"and": [["date", ">=", "2026-06-01T00:00:00+0000"], ["date", "<", "2026-07-01T00:00:00+0000"], ["status", "=", "ANSWER"]]}, "sort": ["date", "desc"], "limit": 100}"""),
            ("one week, marker prefix, longest first", """{"filters": [["date", ">=", "2026-03-01T00:00:00+0000"], ["date", "<", "2026-03-08T00:00:00+0000"], ["marker", "like%", "google"]], "sort": ["duration", "desc"], "limit": 100}"""),
            ("status in (BUSY, NOANSWER), page 5", """{"filters": [["status", "in", ["BUSY", "NOANSWER"]]], "sort": ["date", "desc"], "limit": 100, "offset": 400}"""),
        ];
        foreach (var (name, body) in cases)
        {
            var query = ListQuery.Parse(JsonDocument.Parse(body).RootElement, fields, "c.started_at DESC");
            var timings = await MeasureAsync(async () => await store.ListAsync(project, query, CancellationToken.None));
            Report(name, timings, baseline);
        }
    }

    private static async Task<double[]> MeasureAsync(Func<Task> action)
    {
        for (var i = 0; i < 10; i++)
        {
            await action();
        }

        var samples = new double[Runs];
        for (var i = 0; i < Runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await action();
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(samples);
        return samples;
    }

    private static void Report(string name, double[] samples, double[] baseline)
    {
        static double P(double[] s, double q) => s[Math.Min(s.Length - 1, (int)Math.Ceiling(q * s.Length) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-45} p50 {P(samples, 0.50),7:F2} ms  p95 {P(samples, 0.95),7:F2} ms  p99 {P(samples, 0.99),7:F2} ms  (p95 = {P(samples, 0.95) / P(baseline, 0.95),6:F1}× baseline)"));
    }
}
