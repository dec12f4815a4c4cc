using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;
using NPOI.HSSF.UserModel;

namespace Calltracking.Edge.Recording.Tests.Calls;

public sealed class DashboardAndExportTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>, IDisposable
{
    private readonly EdgeAppFactory app = new(stores);

    public void Dispose() => app.Dispose();

    private async Task<Func<string, string, Task<HttpResponseMessage>>> ClientWithCallsAsync()
    {
        var (project, key) = await app.Services.GetRequiredService<ProjectStore>().CreateAsync("dashboard", CancellationToken.None);
        var http = app.CreateClient();
        async Task<HttpResponseMessage> Post(string path, string json)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/{path}?project={project}") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("Api-key", key);
            return await http.SendAsync(request);
        }

        // Seven calls on 2016-07-01 and 2016-07-02 (Moscow time, +0300), six markers, one missed.
        string[] markers = ["direct", "direct", "google", "yandex", "site", "mail", "vk"];
        for (var i = 0; i < markers.Length; i++)
        {
            var date = new DateTimeOffset(2016, 7, 1, 9 + i, 30, 0, TimeSpan.FromHours(3)).AddDays(i >= 5 ? 1 : 0).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+0000'", CultureInfo.InvariantCulture);
            var status = i == 6 ? "NOANSWER" : "ANSWER";
            using var response = await Post("project/phone-call", $$"""{"callee": "74951234567", "caller": "7916000000{{i}}", "date": "{{date}}", "duration": 60, "answer_duration": 45, "status": "{{status}}", "marker": "{{markers[i]}}"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        return Post;
    }

    [Fact]
    public async Task Dashboard_counts_in_the_clients_time_zone_with_the_reference_shapes()
    {
        var post = await ClientWithCallsAsync();
        using var response = await post("project/calltracking/data", """{"period": {"from": "2016-07-01T00:00:00+0300", "to": "2016-07-03T23:59:59+0300"}}""");
        var data = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data");

        Assert.Equal("2016-06-30T21:00:00+0000", data.GetProperty("period").GetProperty("startDate").GetString());
        var hourly = data.GetProperty("hourlyWeeklyQuantity");
        Assert.Equal(7, hourly.GetProperty("total").GetInt32());
        Assert.Equal(24, hourly.GetProperty("byHours").GetArrayLength());
        Assert.Equal("10", hourly.GetProperty("byHours")[9].GetProperty("hour").GetString());
        Assert.Equal(1, hourly.GetProperty("byHours")[9].GetProperty("success").GetInt32());
        Assert.Equal(1, hourly.GetProperty("byHours")[15].GetProperty("missed").GetInt32());
        Assert.Equal(7, hourly.GetProperty("byWeekdays").GetArrayLength());
        Assert.Equal(5, hourly.GetProperty("byWeekdays")[4].GetProperty("success").GetInt32());
        Assert.Equal([5, 2, 0], data.GetProperty("dailyQuantity").GetProperty("values").EnumerateArray().Select(v => v.GetProperty("value").GetInt32()));
        var markers = data.GetProperty("markerQuantity").EnumerateArray().ToList();
        Assert.Equal(6, markers.Count);
        Assert.Equal(("direct", 2), (markers[0].GetProperty("systemName").GetString(), markers[0].GetProperty("value").GetInt32()));
        Assert.Equal("Others", markers[5].GetProperty("systemName").GetString());
        Assert.Equal(5, data.GetProperty("markerDuration").GetArrayLength());
        Assert.Equal(3, data.GetProperty("callCost").GetProperty("values").GetArrayLength());
    }

    [Theory]
    [InlineData("""{}""", "period")]
    [InlineData("""{"period": {"from": "2016-07-01T00:00:00+0300"}}""", "period.to")]
    [InlineData("""{"period": {"from": "yesterday", "to": "2016-07-01T00:00:00+0300"}}""", "period.from")]
    [InlineData("""{"period": {"from": "2016-07-02T00:00:00+0300", "to": "2016-07-01T00:00:00+0300"}}""", "period.to")]
    [InlineData("""{"period": {"from": "2014-07-02T00:00:00+0300", "to": "2016-07-01T00:00:00+0300"}}""", "period")]
    public async Task Bad_periods_are_400_naming_the_field(string json, string field)
    {
        var post = await ClientWithCallsAsync();
        foreach (var path in new[] { "project/calltracking/data", "project/calltracking/call/xls/export" })
        {
            using var response = await post(path, json);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString();
            Assert.StartsWith(field + ":", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Export_is_an_xls_workbook_with_the_reference_columns()
    {
        var post = await ClientWithCallsAsync();
        using var response = await post("project/calltracking/call/xls/export", """{"period": {"from": "2016-07-01T00:00:00+0300", "to": "2016-07-01T23:59:59+0300"}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.ms-excel", response.Content.Headers.ContentType!.MediaType);

        var workbook = new HSSFWorkbook(await response.Content.ReadAsStreamAsync());
        var sheet = workbook.GetSheetAt(0);
        Assert.Equal(CallExport.Columns, Enumerable.Range(0, CallExport.Columns.Length).Select(i => sheet.GetRow(0).GetCell(i).StringCellValue));
        Assert.Equal(5, sheet.LastRowNum);
        Assert.Equal("2016-07-01 09:30:00", sheet.GetRow(1).GetCell(0).StringCellValue);
        Assert.Equal("79160000000", sheet.GetRow(1).GetCell(1).StringCellValue);
        Assert.Equal(60, sheet.GetRow(1).GetCell(4).NumericCellValue);
        Assert.Equal("direct", sheet.GetRow(1).GetCell(9).StringCellValue);
    }
}
