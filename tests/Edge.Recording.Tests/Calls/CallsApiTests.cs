using System.Net;
using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.Recording.Tests.Calls;

public sealed class CallsApiTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>, IDisposable
{
    private readonly EdgeAppFactory app = new(stores);

    public void Dispose() => app.Dispose();

    private async Task<Func<string, string, Task<(HttpStatusCode, JsonElement)>>> ClientAsync()
    {
        var (project, key) = await app.Services.GetRequiredService<ProjectStore>().CreateAsync("calls", CancellationToken.None);
        var http = app.CreateClient();
        return async (path, json) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/{path}?project={project}") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("Api-key", key);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        };
    }

    private const string ReferenceCall = """
        {"callee": "79999999999", "caller": "78888888888", "date": "2016-07-26T11:03:57+0000", "duration": 20, "marker": "ym_1_2",
         "order_id": null, "save_to_crm": "0", "status": "ANSWER", "visit_id": "12345", "comment": "Call tomorrow", "answer_duration": 15}
        """;

    [Fact]
    public async Task Phone_call_answers_in_the_reference_shape_and_appears_in_the_list()
    {
        var post = await ClientAsync();
        var (status, body) = await post("project/phone-call", ReferenceCall);
        Assert.Equal(HttpStatusCode.OK, status);
        var call = body.GetProperty("phoneCall");
        Assert.Equal("79999999999", call.GetProperty("callee").GetString());
        Assert.Equal("2016-07-26T11:03:57+0000", call.GetProperty("date").GetString());
        Assert.Equal(15, call.GetProperty("answer_duration").GetInt32());
        Assert.Equal("ym_1_2", call.GetProperty("marker").GetString());

        var (_, list) = await post("project/calltracking/call/list", """{"filters": {"and": [["date", ">", "2016-07-26T00:00:00+0000"], ["status", "=", "ANSWER"]]}, "sort": ["date", "desc"], "limit": 10, "offset": 0}""");
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        var listed = list.GetProperty("data")[0];
        Assert.Equal(call.GetProperty("id").GetString(), listed.GetProperty("id").GetString());
        Assert.Equal(5, listed.GetProperty("waiting_time").GetInt32());
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("visit").ValueKind);
    }

    [Fact]
    public async Task Totals_without_filters_or_by_status_come_from_the_kept_counts_and_agree_with_the_rows()
    {
        var post = await ClientAsync();
        foreach (var status in new[] { "ANSWER", "BUSY", "ANSWER" })
        {
            var (code, _) = await post("project/phone-call", ReferenceCall.Replace("\"ANSWER\"", $"\"{status}\"", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.OK, code);
        }

        async Task<(int Total, int Rows)> ListAsync(string json)
        {
            var (_, body) = await post("project/calltracking/call/list", json);
            return (body.GetProperty("total").GetInt32(), body.GetProperty("data").GetArrayLength());
        }

        Assert.Equal((3, 3), await ListAsync("{}"));
        Assert.Equal((2, 2), await ListAsync("""{"filters": [["status", "=", "ANSWER"]]}"""));
        Assert.Equal((1, 1), await ListAsync("""{"filters": [["status", "in", ["BUSY", "CANCEL"]]]}"""));
        Assert.Equal((3, 1), await ListAsync("""{"limit": 1}"""));
    }

    [Theory]
    [InlineData("""{"caller": "78888888888", "date": "2016-07-26T11:03:57+0000"}""", "callee")]
    [InlineData("""{"callee": "nobody", "caller": "78888888888", "date": "2016-07-26T11:03:57+0000"}""", "callee")]
    [InlineData("""{"callee": "79999999999", "caller": "78888888888", "date": "tomorrow"}""", "date")]
    [InlineData("""{"callee": "79999999999", "caller": "78888888888", "date": "2016-07-26T11:03:57+0000", "status": "HAPPY"}""", "status")]
    [InlineData("""{"callee": "79999999999", "caller": "78888888888", "date": "2016-07-26T11:03:57+0000", "duration": -5}""", "duration")]
    [InlineData("""{"callee": "79999999999", "caller": "78888888888", "date": "2016-07-26T11:03:57+0000", "duration": 5, "answer_duration": 9}""", "answer_duration")]
    [InlineData("""{"callee": "79999999999", "caller": "78888888888", "date": "2016-07-26T11:03:57+0000", "save_to_crm": "yes"}""", "save_to_crm")]
    public async Task Bad_phone_calls_are_400_naming_the_field(string json, string field)
    {
        var post = await ClientAsync();
        var (status, body) = await post("project/phone-call", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(field + ":", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"filters": [["password", "=", "x"]]}""", "filters[0]")]
    [InlineData("""{"filters": [["date", ">", "soon"]]}""", "filters[0]")]
    [InlineData("""{"extend": ["everything"]}""", "extend")]
    [InlineData("""{"sort": ["id", "up"]}""", "sort")]
    public async Task Bad_list_requests_are_400_naming_the_field(string json, string field)
    {
        var post = await ClientAsync();
        var (status, body) = await post("project/calltracking/call/list", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(field + ":", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
