using System.Net;
using System.Text.Json;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.NumberPool.Tests.Api;

public sealed class CatalogueApiTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>, IDisposable
{
    private readonly EdgeAppFactory app = new(stores);

    public void Dispose() => app.Dispose();

    private const string ReferenceScript = """
        {
            "name": "Basic script",
            "is_enabled": 1,
            "creation_date": "2016-10-11T21:00:00.000Z",
            "options": {
                "calltracking_type": "dynamic",
                "segments": [["source", "like%", "organic"]],
                "phone_format": "8 (XXX) XXX-XX-XX",
                "css_selector": ["test"],
                "redirect": {"type": "phone", "value": "74951234567"},
                "replaceable_numbers": []
            },
            "integration": {
                "crm": {"custom_fields": [{"id": "UF_CRM_1474452137", "type": "text", "value": "eee"}], "is_enabled": 1},
                "webhook": {"url": "ne.buildie.ru/testhandler.php"},
                "webhook_start": {"url": "ne.buildie.ru/testhandler2.php"},
                "google_analytics": {"tracking_id": "UA-123123-123", "action": "call", "category": "phone", "label": "roistat"},
                "is_lead_auto_create": 1
            },
            "replaceable_numbers": ["89451111111", "+7 945 222-22-22"]
        }
        """;

    [Fact]
    public async Task Script_create_answers_in_the_reference_shape()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "shape");
        var body = await client.OkAsync("project/calltracking/script/create", ReferenceScript);

        var data = body.GetProperty("data");
        Assert.True(data.GetProperty("id").GetInt64() > 0);
        Assert.Equal("Basic script", data.GetProperty("name").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$", data.GetProperty("creation_date").GetString());
        Assert.Equal(1, data.GetProperty("is_enabled").GetInt32());
        Assert.Equal(0, data.GetProperty("call_count").GetInt32());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("accuracy").ValueKind);
        var options = data.GetProperty("options");
        Assert.Equal("dynamic", options.GetProperty("calltracking_type").GetString());
        Assert.Equal(JsonValueKind.Null, options.GetProperty("static_source").ValueKind);
        Assert.Equal("phone", options.GetProperty("redirect").GetProperty("type").GetString());
        Assert.Equal("74951234567", options.GetProperty("redirect").GetProperty("value").GetString());
        Assert.Equal("organic", options.GetProperty("segments")[0][2].GetString());
        Assert.Equal(0, options.GetProperty("target_call_time").GetInt32());
        Assert.Equal("ne.buildie.ru/testhandler.php", data.GetProperty("integration").GetProperty("webhook").GetProperty("url").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("needed_phone_count").ValueKind);
        Assert.Equal(1, body.GetProperty("total").GetInt32());

        var phones = await client.OkAsync("project/calltracking/phone/list", """{"sort": ["phone", "asc"]}""");
        Assert.Equal(["79451111111", "79452222222"], phones.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("phone").GetString()));
        Assert.Equal("Basic script", phones.GetProperty("data")[0].GetProperty("script").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Update_list_and_delete_a_script()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "lifecycle");
        var script = ReferenceScript.Replace("89451111111", "89453333333", StringComparison.Ordinal).Replace("+7 945 222-22-22", "89454444444", StringComparison.Ordinal);
        var id = (await client.OkAsync("project/calltracking/script/create", script)).GetProperty("data").GetProperty("id").GetInt64();

        await client.OkAsync("project/calltracking/script/update", "{\"id\": " + id + """, "name": "New script", "is_enabled": 0, "options": {"redirect": {"type": "sip", "value": "office@pbx.example.com"}}}""");
        var listed = (await client.OkAsync("project/calltracking/script/list", "{}")).GetProperty("data").EnumerateArray().Single();
        Assert.Equal("New script", listed.GetProperty("name").GetString());
        Assert.Equal(0, listed.GetProperty("is_enabled").GetInt32());
        Assert.Equal("sip:office@pbx.example.com", listed.GetProperty("options").GetProperty("redirect").GetProperty("value").GetString());

        await client.OkAsync("project/calltracking/script/delete", $$"""{"id": {{id}}}""");
        Assert.Empty((await client.OkAsync("project/calltracking/script/list", "{}")).GetProperty("data").EnumerateArray());
        Assert.Single((await client.OkAsync("project/calltracking/script/list", """{"is_deleted": 1}""")).GetProperty("data").EnumerateArray());
    }

    [Theory]
    [InlineData("""{"options": {"redirect": {"type": "fax", "value": "1"}}}""", "options.redirect.type")]
    [InlineData("""{"options": {"redirect": {"type": "phone", "value": "call me"}}}""", "options.redirect.value")]
    [InlineData("""{"options": {"redirect": {"type": "sip_trunk", "value": "short"}}}""", "options.redirect.value")]
    [InlineData("""{"options": {"phone_format": "8 (XXX) XXX-XX-X9"}}""", "options.phone_format")]
    [InlineData("""{"options": {"segments": [["browser", "=", "x"]]}}""", "options.segments[0]")]
    [InlineData("""{"options": {"calltracking_type": "psychic"}}""", "options.calltracking_type")]
    [InlineData("""{"is_enabled": 5}""", "is_enabled")]
    [InlineData("""{"name": 42}""", "name")]
    [InlineData("""{"replaceable_numbers": ["not a number"]}""", "replaceable_numbers[0]")]
    [InlineData("""[1, 2]""", "body")]
    public async Task Bad_script_bodies_are_400_naming_the_field(string json, string field)
    {
        var client = await ApiClient.ForNewProjectAsync(app, "bad");
        var (status, body) = await client.PostAsync("project/calltracking/script/create", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("error", body.GetProperty("status").GetString());
        Assert.StartsWith(field + ":", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_is_400()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "malformed");
        var (status, body) = await client.PostAsync("project/calltracking/script/create", "{\"name\": ");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_json", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Phones_are_created_filtered_sorted_paged_attached_and_deleted()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "phones");
        var created = await client.OkAsync("project/calltracking/phone/create", """{"phones": ["74997654321", "8 (499) 765-43-22", "74997654323"]}""");
        var first = created.GetProperty("data")[0];
        Assert.Equal(1, first.GetProperty("is_external").GetInt32());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("script").ValueKind);
        var ids = created.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()).ToArray();

        var page = await client.OkAsync("project/calltracking/phone/list", """{"filters": [["is_external", "=", 1]], "sort": ["id", "desc"], "limit": 2, "offset": 0}""");
        Assert.Equal(3, page.GetProperty("total").GetInt32());
        Assert.Equal([ids[2], ids[1]], page.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()));

        var filtered = await client.OkAsync("project/calltracking/phone/list", """{"filters": {"or": [["phone", "=", "74997654322"], ["phone", "like%", "7499765432"]]}}""");
        Assert.Equal(3, filtered.GetProperty("total").GetInt32());

        var scriptId = (await client.OkAsync("project/calltracking/script/create", """{"name": "s", "options": {"redirect": {"type": "phone", "value": "74950000000"}}}""")).GetProperty("data").GetProperty("id").GetInt64();
        await client.OkAsync("project/calltracking/phone/update", $$"""{"id": {{ids[0]}}, "script_id": {{scriptId}}, "last_use_date": "2016-10-11T21:00:00.000Z"}""");
        var attached = await client.OkAsync("project/calltracking/phone/list", $$"""{"filters": [["script_id", "=", {{scriptId}}]]}""");
        Assert.Equal("2016-10-11T21:00:00+0000", attached.GetProperty("data")[0].GetProperty("last_use_date").GetString());

        await client.OkAsync("project/calltracking/phone/delete", $$"""{"phones": [{{ids[1]}}, {{ids[2]}}]}""");
        Assert.Equal(1, (await client.OkAsync("project/calltracking/phone/list", "{}")).GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("project/calltracking/phone/create", """{"phones": []}""", "phones")]
    [InlineData("project/calltracking/phone/create", """{}""", "phones")]
    [InlineData("project/calltracking/phone/list", """{"filters": [["owner", "=", 1]]}""", "filters[0]")]
    [InlineData("project/calltracking/phone/list", """{"sort": ["secret"]}""", "sort")]
    [InlineData("project/calltracking/phone/list", """{"limit": "many"}""", "limit")]
    [InlineData("project/calltracking/phone/update", """{"id": 1}""", "script_id")]
    [InlineData("project/calltracking/phone/delete", """{"phones": ["x"]}""", "phones[0]")]
    [InlineData("project/calltracking/settings", """{"custom_headers": "bad name=1"}""", "custom_headers")]
    [InlineData("project/calltracking/settings", """{"no_record": 7}""", "no_record")]
    [InlineData("project/calltracking/settings", """{"colour": 1}""", "colour")]
    public async Task Bad_phone_and_settings_bodies_name_the_field(string path, string json, string field)
    {
        var client = await ApiClient.ForNewProjectAsync(app, "badphones");
        var (status, body) = await client.PostAsync(path, json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(field + ":", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_project_can_never_touch_another_projects_numbers()
    {
        var owner = await ApiClient.ForNewProjectAsync(app, "owner");
        var intruder = await ApiClient.ForNewProjectAsync(app, "intruder");
        var phoneId = (await owner.OkAsync("project/calltracking/phone/create", """{"phones": ["74990001122"]}""")).GetProperty("data")[0].GetProperty("id").GetInt64();
        var intruderScript = (await intruder.OkAsync("project/calltracking/script/create", """{"name": "x"}""")).GetProperty("data").GetProperty("id").GetInt64();

        Assert.Equal(0, (await intruder.OkAsync("project/calltracking/phone/list", "{}")).GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await intruder.PostAsync("project/calltracking/phone/update", $$"""{"id": {{phoneId}}, "script_id": {{intruderScript}}}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await intruder.PostAsync("project/calltracking/phone/create", """{"phones": ["74990001122"]}""")).Status);
        await intruder.OkAsync("project/calltracking/phone/delete", $$"""{"phones": [{{phoneId}}]}""");
        Assert.Equal(1, (await owner.OkAsync("project/calltracking/phone/list", "{}")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Settings_round_trip()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "settings");
        await client.OkAsync("project/calltracking/settings", """{"custom_headers": "my-city={city}, my-domain={domain}", "no_record": 1, "number_map": "74951111111=74992222222"}""");
        var data = (await client.OkAsync("project/calltracking/settings", "{}")).GetProperty("data");
        Assert.Equal(1, data.GetProperty("no_record").GetInt32());
        Assert.Equal("my-city={city}, my-domain={domain}", data.GetProperty("custom_headers").GetString());
        Assert.Equal(0, data.GetProperty("send_trunk_address").GetInt32());
    }
}
