using System.Globalization;
using Dapper;
using Npgsql;
using NPOI.HSSF.UserModel;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// <c>project/calltracking/call/xls/export</c>: the calls of a period as an Excel 97-2003 workbook with the
/// reference's columns. Rows stream from PostgreSQL (unbuffered); the .xls format itself is built in memory by
/// NPOI's HSSF, and a sheet holds at most 65,535 rows, so long periods continue on further sheets.
/// </summary>
public sealed class CallExport(NpgsqlDataSource dataSource, Recordings.RecordingLinks links)
{
    public static readonly string[] Columns =
    [
        "Date", "Customer Number", "Dialed Number", "Status", "Duration", "Call Recording", "Transaction Number", "Comment", "Visit Number",
        "Source", "City", "Country", "Domain", "Referrer", "Landing Page", "UTM_Source", "UTM_Medium", "UTM_Campaign", "UTM_Term", "UTM_Content",
    ];

    private const int RowsPerSheet = 65_535;

    private sealed record ExportRow(
        Guid Id, bool ForbidLinks, DateTime StartedAt, string? Caller, string Callee, string Status, int Duration, string? RecordingState, string? OrderId, string? Comment,
        string? VisitId, string? Marker, string? City, string? Country, string? Domain, string? Referrer, string? LandingPage,
        string? UtmSource, string? UtmMedium, string? UtmCampaign, string? UtmTerm, string? UtmContent);

    public async Task WriteAsync(long projectId, CallPeriod period, Stream output, CancellationToken cancellationToken)
    {
        var workbook = new HSSFWorkbook();
        HSSFSheet? sheet = null;
        var rowIndex = 0;
        var sheetNumber = 0;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            var rows = await connection.QueryAsync<ExportRow>(new CommandDefinition(
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
                new { projectId, from = period.From.UtcDateTime, to = period.To.UtcDateTime },
                flags: CommandFlags.None,
                cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                if (sheet is null || rowIndex == RowsPerSheet)
                {
                    sheet = (HSSFSheet)workbook.CreateSheet(sheetNumber == 0 ? "Calls" : $"Calls {sheetNumber + 1}");
                    sheetNumber++;
                    WriteHeader(sheet);
                    rowIndex = 1;
                }

                var cells = sheet.CreateRow(rowIndex++);
                var local = new DateTimeOffset(DateTime.SpecifyKind(row.StartedAt, DateTimeKind.Utc)).ToOffset(period.Offset);
                string?[] values =
                [
                    local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), row.Caller, row.Callee, row.Status, null,
                    links.For(new CallRow { Id = row.Id, ProjectId = projectId, RecordingState = row.RecordingState, ForbidLinks = row.ForbidLinks }), row.OrderId, row.Comment, row.VisitId, row.Marker, row.City, row.Country, row.Domain, row.Referrer,
                    row.LandingPage, row.UtmSource, row.UtmMedium, row.UtmCampaign, row.UtmTerm, row.UtmContent,
                ];
                for (var i = 0; i < values.Length; i++)
                {
                    if (i == 4)
                    {
                        cells.CreateCell(i).SetCellValue(row.Duration);
                    }
                    else
                    {
                        cells.CreateCell(i).SetCellValue(values[i] ?? string.Empty);
                    }
                }
            }
        }

        if (sheet is null)
        {
            WriteHeader((HSSFSheet)workbook.CreateSheet("Calls"));
        }

        using var buffer = new MemoryStream();
        workbook.Write(buffer);
        buffer.Position = 0;
        await buffer.CopyToAsync(output, cancellationToken);
    }

    private static void WriteHeader(HSSFSheet sheet)
    {
        var header = sheet.CreateRow(0);
        for (var i = 0; i < Columns.Length; i++)
        {
            header.CreateCell(i).SetCellValue(Columns[i]);
        }
    }
}
