using System.Globalization;
using Dapper;
using Npgsql;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// <c>project/calltracking/call/xls/export</c>: the calls of a period as an Excel 97-2003 workbook with the
/// reference's columns. Rows stream from PostgreSQL (unbuffered, read asynchronously) into <see cref="XlsWriter"/>,
/// which spools the sheets to a temporary file, so memory does not grow with the period; a sheet holds 65,535 calls
/// under its header, so long periods continue on sheets "Calls 2", "Calls 3", …. The file is sent once the last row is
/// read (the workbook's directory needs every sheet's size).
/// </summary>
public sealed class CallExport(NpgsqlDataSource dataSource, Recordings.RecordingLinks links)
{
    public static readonly string[] Columns =
    [
        "Date", "Customer Number", "Dialed Number", "Status", "Duration", "Call Recording", "Transaction Number", "Comment", "Visit Number",
        "Source", "City", "Country", "Domain", "Referrer", "Landing Page", "UTM_Source", "UTM_Medium", "UTM_Campaign", "UTM_Term", "UTM_Content",
    ];

    private sealed record ExportRow(
        Guid Id, bool ForbidLinks, DateTime StartedAt, string? Caller, string Callee, string Status, int Duration, string? RecordingState, string? OrderId, string? Comment,
        string? VisitId, string? Marker, string? City, string? Country, string? Domain, string? Referrer, string? LandingPage,
        string? UtmSource, string? UtmMedium, string? UtmCampaign, string? UtmTerm, string? UtmContent);

    public async Task WriteAsync(long projectId, CallPeriod period, Stream output, CancellationToken cancellationToken)
    {
        await using var workbook = new XlsWriter("Calls", Columns);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            // QueryUnbufferedAsync reads each row with ReadAsync as it is enumerated; QueryAsync without the buffered
            // flag would also stream, but with blocking reads.
            var rows = connection.QueryUnbufferedAsync<ExportRow>(
                """
                SELECT c.id, coalesce((p.settings->>'forbid_listening_by_link') IN ('true', '1'), false) AS ForbidLinks, c.started_at AS StartedAt, c.caller, c.callee, c.status, c.duration, c.recording_state AS RecordingState, c.order_id AS OrderId,
                       c.comment, c.visit_id AS VisitId, coalesce(v.marker, c.marker) AS Marker, coalesce(v.city, c.city) AS City, v.country, v.domain,
                       v.referrer, v.landing_page AS LandingPage, v.utm_source AS UtmSource, v.utm_medium AS UtmMedium,
                       v.utm_campaign AS UtmCampaign, v.utm_term AS UtmTerm, v.utm_content AS UtmContent
                FROM calls c JOIN projects p ON p.id = c.project_id
                LEFT JOIN visits v ON v.project_id = c.project_id AND v.id::text = c.visit_id
                WHERE c.project_id = @projectId AND c.started_at >= @from AND c.started_at <= @to
                ORDER BY c.started_at, c.seq
                """,
                new { projectId, from = period.From.UtcDateTime, to = period.To.UtcDateTime });
            var date = new char[19]; // reused: no string per row for the date
            await foreach (var row in rows.WithCancellation(cancellationToken))
            {
                var local = new DateTimeOffset(DateTime.SpecifyKind(row.StartedAt, DateTimeKind.Utc)).ToOffset(period.Offset);
                local.TryFormat(date, out var dateLength, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                workbook.AddText(date.AsSpan(0, dateLength));
                workbook.AddText(row.Caller);
                workbook.AddText(row.Callee);
                workbook.AddText(row.Status);
                workbook.AddNumber(row.Duration);
                workbook.AddText(links.For(new CallRow { Id = row.Id, ProjectId = projectId, RecordingState = row.RecordingState, ForbidLinks = row.ForbidLinks }));
                workbook.AddText(row.OrderId);
                workbook.AddText(row.Comment);
                workbook.AddText(row.VisitId);
                workbook.AddText(row.Marker);
                workbook.AddText(row.City);
                workbook.AddText(row.Country);
                workbook.AddText(row.Domain);
                workbook.AddText(row.Referrer);
                workbook.AddText(row.LandingPage);
                workbook.AddText(row.UtmSource);
                workbook.AddText(row.UtmMedium);
                workbook.AddText(row.UtmCampaign);
                workbook.AddText(row.UtmTerm);
                workbook.AddText(row.UtmContent);
                await workbook.EndRowAsync(cancellationToken);
            }
        }

        await workbook.CompleteAsync(output, cancellationToken);
    }
}
