using System.Globalization;
using System.Text.Json.Nodes;
using Calltracking.Shared.Json;
using Dapper;
using Npgsql;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// <c>project/calltracking/data</c>: the dashboard aggregates of a period, counted in the client's time zone. One
/// grouped query returns at most (days × 24 × statuses × markers × cities) small rows; the shapes are built here.
/// </summary>
public sealed class CallDashboard(NpgsqlDataSource dataSource)
{
    private sealed record Bucket(DateTime Day, int Hour, string Status, string? Marker, string? City, int Calls, long Duration, long Talk, decimal Cost);

    public async Task<JsonObject> BuildAsync(long projectId, CallPeriod period, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var buckets = (await connection.QueryAsync<Bucket>(new CommandDefinition(
            """
            SELECT date_trunc('day', local) AS Day, extract(hour FROM local)::int AS Hour, status, marker, city,
                   count(*)::int AS Calls, sum(duration)::bigint AS Duration, sum(answer_duration)::bigint AS Talk, sum(call_cost) AS Cost
            FROM (SELECT (started_at AT TIME ZONE 'UTC') + make_interval(mins => @offset) AS local, status, marker, city, duration, answer_duration, call_cost
                  FROM calls WHERE project_id = @projectId AND started_at >= @from AND started_at <= @to AND status <> 'ACTIVE') c
            GROUP BY 1, 2, 3, 4, 5
            """,
            new { projectId, offset = (int)period.Offset.TotalMinutes, from = period.From.UtcDateTime, to = period.To.UtcDateTime },
            cancellationToken: cancellationToken))).AsList();

        var total = buckets.Sum(b => b.Calls);
        var localFrom = period.From.DateTime.Date;
        var localTo = period.To.DateTime.Date;
        var days = Enumerable.Range(0, (localTo - localFrom).Days + 1).Select(d => localFrom.AddDays(d)).ToList();
        string DayText(DateTime localDay) => ApiJson.FormatDate(new DateTimeOffset(localDay, TimeSpan.Zero));
        static bool Success(Bucket b) => b.Status == "ANSWER";

        var byHours = new JsonArray([.. Enumerable.Range(0, 24).Select(h => (JsonNode)new JsonObject
        {
            ["success"] = buckets.Where(b => b.Hour == h && Success(b)).Sum(b => b.Calls),
            ["missed"] = buckets.Where(b => b.Hour == h && !Success(b)).Sum(b => b.Calls),
            ["hour"] = (h + 1).ToString("D2", CultureInfo.InvariantCulture),
        })]);
        var weekdays = new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday };
        var byWeekdays = new JsonArray([.. weekdays.Select(w => (JsonNode)new JsonObject
        {
            ["success"] = buckets.Where(b => b.Day.DayOfWeek == w && Success(b)).Sum(b => b.Calls),
            ["missed"] = buckets.Where(b => b.Day.DayOfWeek == w && !Success(b)).Sum(b => b.Calls),
            ["date"] = DayText(days.FirstOrDefault(d => d.DayOfWeek == w, localFrom)),
        })]);

        JsonObject Daily(Func<IEnumerable<Bucket>, decimal> value, decimal average) => new()
        {
            ["values"] = new JsonArray([.. days.Select(d => (JsonNode)new JsonObject { ["value"] = value(buckets.Where(b => b.Day == d)), ["date"] = DayText(d) })]),
            ["average"] = average,
        };

        var dayCount = Math.Max(1, days.Count);
        var markers = buckets.GroupBy(b => b.Marker ?? string.Empty).Select(g => (Marker: g.Key, Calls: g.Sum(b => b.Calls), Duration: g.Sum(b => b.Duration)))
            .OrderByDescending(m => m.Calls).ThenBy(m => m.Marker, StringComparer.Ordinal).ToList();
        var topMarkers = markers.Take(5).ToList();
        var markerQuantity = new JsonArray([.. topMarkers.Select(m => (JsonNode)new JsonObject { ["displayName"] = MarkerName(m.Marker), ["value"] = m.Calls, ["systemName"] = m.Marker })]);
        if (markers.Count > 5)
        {
            markerQuantity.Add(new JsonObject { ["displayName"] = "Others", ["value"] = markers.Skip(5).Sum(m => m.Calls), ["systemName"] = "Others" });
        }

        var markerDuration = new JsonArray([.. topMarkers.Select(m => (JsonNode)new JsonObject
        {
            ["displayName"] = MarkerName(m.Marker),
            ["iconUrl"] = string.Empty,
            ["value"] = m.Calls == 0 ? 0 : Math.Round((double)m.Duration / m.Calls, 3),
            ["systemName"] = m.Marker,
        })]);
        var cities = buckets.Where(b => !string.IsNullOrEmpty(b.City)).GroupBy(b => b.City!).Select(g => (City: g.Key, Calls: g.Sum(b => b.Calls)))
            .OrderByDescending(c => c.Calls).ThenBy(c => c.City, StringComparer.Ordinal).ToList();
        var regionQuantity = new JsonArray([.. cities.Take(5).Select(c => (JsonNode)new JsonObject { ["value"] = c.Calls, ["displayName"] = c.City })]);
        var otherRegions = total - cities.Take(5).Sum(c => c.Calls);
        if (otherRegions > 0)
        {
            regionQuantity.Add(new JsonObject { ["value"] = otherRegions, ["displayName"] = "Other" });
        }

        var totalCost = buckets.Sum(b => b.Cost);
        return new JsonObject
        {
            ["period"] = new JsonObject { ["startDate"] = ApiJson.FormatDate(period.From), ["endDate"] = ApiJson.FormatDate(period.To) },
            ["hourlyWeeklyQuantity"] = new JsonObject { ["byHours"] = byHours, ["byWeekdays"] = byWeekdays, ["total"] = total },
            // Talk seconds per day; the average is per day of the period.
            ["dailyDuration"] = Daily(b => b.Sum(x => x.Talk), Math.Round((decimal)buckets.Sum(b => b.Talk) / dayCount, 6)),
            ["dailyQuantity"] = Daily(b => b.Sum(x => x.Calls), Math.Round((decimal)total / dayCount, 6)),
            ["markerQuantity"] = markerQuantity,
            ["markerDuration"] = markerDuration,
            ["regionQuantity"] = regionQuantity,
            // Cost of calls per day from the scripts' call_cost (0 when unset); the average is per call.
            ["callCost"] = Daily(b => b.Sum(x => x.Cost), total == 0 ? 0 : Math.Round(totalCost / total, 6)),
        };
    }

    private static string MarkerName(string marker) => marker.Length == 0 ? "Direct visits" : marker;
}
