using System.Net;
using Calltracking.Edge.Testing;
using Calltracking.Shared.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.NumberPool.Tests.Routing;

public sealed class RouteResolverTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>, IDisposable
{
    // These tests are about what attribution answers, not about the call path's deadline (300 ms by default, tested with
    // Redis down below): a generous one keeps a loaded test machine from turning an answer into "unknown".
    private readonly EdgeAppFactory app = new(stores, new Dictionary<string, string?> { ["NumberPool:RedisTimeoutMilliseconds"] = "5000" });

    public void Dispose() => app.Dispose();

    private static int seed = 5000;

    private static string NewNumber() => "7495" + Interlocked.Increment(ref seed).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_call_to_a_leased_number_is_attributed_to_the_visit_with_its_fields()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "attribution");
        var number = NewNumber();
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "organic", "options": {"segments": [["source", "=", "organic"]], "css_selector": ["#phone"], "redirect": {"type": "phone", "value": "74990000000"}}, "replaceable_numbers": ["{{{number}}}"]}""");
        await client.OkAsync("project/calltracking/settings", """{"custom_headers": "my-city={city}"}""");

        var (status, visit) = await client.SitePostAsync("/site/visit", """{"marker": "organic_google", "city": "Moscow", "domain": "shop.example", "landing_page": "https://shop.example/"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var visitId = visit.GetProperty("visit_id").GetString();
        var (_, shown) = await client.SitePostAsync("/site/number", $$$"""{"visit_id": {{{visitId}}}}""");
        Assert.Equal(number, shown.GetProperty("phone").GetString());
        Assert.Equal("8 (" + number[1..4] + ") " + number[4..7] + "-" + number[7..9] + "-" + number[9..], shown.GetProperty("formatted").GetString());

        var lookup = await app.Services.GetRequiredService<IRouteResolver>().ResolveAsync(new RouteQuery(number, "+7 (916) 123-45-67", DateTimeOffset.UtcNow), default);

        Assert.Equal(RouteLookupStatus.Found, lookup.Status);
        var route = lookup.Decision!;
        Assert.Equal(client.Project, route.ProjectId);
        Assert.Equal(RedirectType.Phone, route.Redirect);
        Assert.Equal("74990000000", route.RedirectValue);
        Assert.Equal("79161234567", route.Caller);
        Assert.Equal(visitId, route.Attribution.VisitId);
        Assert.Equal("organic_google", route.Attribution.Marker);
        Assert.Equal(AttributionConfidence.Exclusive, route.Attribution.Confidence);
        Assert.Equal("Moscow", route.Attribution.Fields["city"]);
        Assert.Equal("my-city", route.Settings.CustomHeaders.Single().Key);
        Assert.False(lookup.Degraded);
    }

    [Fact]
    public async Task A_scripts_accuracy_is_the_exclusive_share_of_its_calls_and_needed_phone_count_its_peak_demand()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "accuracy");
        var numbers = new[] { NewNumber(), NewNumber() };
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "tight", "options": {"exhausted_policy": "share"}, "replaceable_numbers": ["{{{numbers[0]}}}", "{{{numbers[1]}}}"]}""");
        var shown = new List<string>();
        foreach (var marker in new[] { "a", "b", "c" })
        {
            var (_, visit) = await client.SitePostAsync("/site/visit", $$$"""{"marker": "{{{marker}}}"}""");
            var (_, number) = await client.SitePostAsync("/site/number", $$$"""{"visit_id": {{{visit.GetProperty("visit_id").GetString()}}}}""");
            shown.Add(number.GetProperty("phone").GetString()!);
        }

        // The third visit shares the first visit's number (idle longest); the second visit's number stays its own.
        Assert.Equal(shown[0], shown[2]);
        var resolver = app.Services.GetRequiredService<IRouteResolver>();
        Assert.Equal(AttributionConfidence.Exclusive, (await resolver.ResolveAsync(new RouteQuery(shown[1], null, DateTimeOffset.UtcNow), default)).Decision!.Attribution.Confidence);
        Assert.Equal(AttributionConfidence.Shared, (await resolver.ResolveAsync(new RouteQuery(shown[0], null, DateTimeOffset.UtcNow), default)).Decision!.Attribution.Confidence);

        // Calls are counted off the call path; wait for both to land.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        System.Text.Json.JsonElement script;
        do
        {
            script = (await client.OkAsync("project/calltracking/script/list", "{}")).GetProperty("data")[0];
            if (script.GetProperty("accuracy").ValueKind != System.Text.Json.JsonValueKind.Null && script.GetProperty("call_count").GetInt32() == 2)
            {
                break;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(50, script.GetProperty("accuracy").GetInt32());
        Assert.Equal(3, script.GetProperty("needed_phone_count").GetInt32());
    }

    [Fact]
    public async Task Call_counts_are_written_together_and_kept_while_postgresql_fails()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "tally");
        var number = NewNumber();
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "tally", "options": {"redirect": {"type": "phone", "value": "74990000000"}}, "replaceable_numbers": ["{{{number}}}"]}""");
        var scriptId = (await client.OkAsync("project/calltracking/script/list", "{}")).GetProperty("data")[0].GetProperty("id").GetInt64();
        var options = Microsoft.Extensions.Options.Options.Create(new PoolOptions());

        // PostgreSQL unreachable: the flush fails quietly and the counts wait.
        await using (var dead = Npgsql.NpgsqlDataSource.Create($"Host=127.0.0.1;Port={FreePort.Tcp()};Username=postgres;Timeout=1"))
        {
            var stranded = new Catalogue.CallTally(new Catalogue.CatalogueStore(dead), options, Microsoft.Extensions.Logging.Abstractions.NullLogger<Catalogue.CallTally>.Instance);
            stranded.Add(number, scriptId, DateTimeOffset.UtcNow, AttributionConfidence.Exclusive);
            await stranded.FlushAsync(CancellationToken.None);
            await stranded.FlushAsync(CancellationToken.None);
            Assert.Equal(1, stranded.Pending);
        }

        var tally = new Catalogue.CallTally(new Catalogue.CatalogueStore(stores.DataSource), options, Microsoft.Extensions.Logging.Abstractions.NullLogger<Catalogue.CallTally>.Instance);
        var at = DateTimeOffset.UtcNow;
        tally.Add(number, scriptId, at.AddSeconds(-2), AttributionConfidence.Exclusive);
        tally.Add(number, scriptId, at, AttributionConfidence.Shared);
        tally.Add(number, scriptId, at.AddSeconds(-1), AttributionConfidence.Exclusive);
        tally.Add(number, scriptId, at, AttributionConfidence.Exclusive);
        Assert.Equal(4, tally.Pending);
        await tally.FlushAsync(CancellationToken.None);
        Assert.Equal(0, tally.Pending);

        var phone = (await client.OkAsync("project/calltracking/phone/list", "{}")).GetProperty("data")[0];
        Assert.Equal(4, phone.GetProperty("call_count").GetInt32());
        var script = (await client.OkAsync("project/calltracking/script/list", "{}")).GetProperty("data")[0];
        Assert.Equal(75, script.GetProperty("accuracy").GetInt32());
    }

    [Fact]
    public async Task A_visit_redis_forgot_is_restored_from_postgresql_when_it_asks_for_a_number()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "forgotten");
        var number = NewNumber();
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "any", "replaceable_numbers": ["{{{number}}}"]}""");
        var (_, visit) = await client.SitePostAsync("/site/visit", """{"marker": "remembered_marker", "city": "Kazan"}""");
        var visitId = visit.GetProperty("visit_id").GetString()!;
        var redis = app.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>();
        Assert.True(await redis.GetDatabase().KeyDeleteAsync(Calltracking.Edge.NumberPool.Leases.LeaseStore.Prefix(client.Project) + "visit:" + visitId));

        var (status, shown) = await client.SitePostAsync("/site/number", $$$"""{"visit_id": {{{visitId}}}}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(number, shown.GetProperty("phone").GetString());
        var fields = await app.Services.GetRequiredService<Calltracking.Edge.NumberPool.Leases.LeaseStore>().VisitFieldsAsync(client.Project, visitId);
        Assert.Equal("remembered_marker", fields["marker"]);
        Assert.Equal("Kazan", fields["city"]);

        // A visit that exists nowhere is refused, and leaves no trace in Redis.
        var (unknown, body) = await client.SitePostAsync("/site/number", """{"visit_id": 987654321}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.StartsWith("visit_id:", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(Calltracking.Edge.NumberPool.Leases.LeaseStore.Prefix(client.Project) + "visit:987654321"));
    }

    /// <summary>A page naming the list version it holds gets the number without the list; an old version gets the list again.</summary>
    [Fact]
    public async Task A_page_that_holds_the_current_numbers_gets_answers_without_them()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "versioned");
        var number = NewNumber();
        var script = await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "v", "options": {"css_selector": [".phone"]}, "replaceable_numbers": ["{{{number}}}"]}""");
        var (_, visit) = await client.SitePostAsync("/site/visit", """{"marker": "direct"}""");
        var visitId = visit.GetProperty("visit_id").GetString();

        var (_, first) = await client.SitePostAsync("/site/number", $$$"""{"visit_id": {{{visitId}}}}""");
        var version = first.GetProperty("numbers_version").GetString()!;
        Assert.Equal([number], first.GetProperty("replaceable_numbers").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal([".phone"], first.GetProperty("css_selector").EnumerateArray().Select(n => n.GetString()));

        var (status, later) = await client.SitePostAsync("/site/number", $$$"""{"visit_id": {{{visitId}}}, "numbers_version": "{{{version}}}"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(number, later.GetProperty("phone").GetString());
        Assert.Equal(version, later.GetProperty("numbers_version").GetString());
        Assert.False(later.TryGetProperty("replaceable_numbers", out _));
        Assert.False(later.TryGetProperty("css_selector", out _));

        // The script's numbers change: the version the page holds is old, and the list comes again.
        var other = NewNumber();
        await client.OkAsync("project/calltracking/script/update", $$$"""{"id": {{{script.GetProperty("data").GetProperty("id").GetInt64()}}}, "replaceable_numbers": ["{{{number}}}", "{{{other}}}"]}""");
        app.Services.GetRequiredService<Calltracking.Edge.NumberPool.Routing.RouteCache>().Clear();
        var (_, changed) = await client.SitePostAsync("/site/number", $$$"""{"visit_id": {{{visitId}}}, "numbers_version": "{{{version}}}"}""");
        Assert.NotEqual(version, changed.GetProperty("numbers_version").GetString());
        Assert.Equal([number, other], changed.GetProperty("replaceable_numbers").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task A_visit_outside_every_segment_gets_no_number()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "segments");
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "paid", "options": {"segments": {"or": [["utm_medium", "=", "cpc"], ["source", "like%", "yandex"]]}}, "replaceable_numbers": ["{{{NewNumber()}}}"]}""");
        var (_, visit) = await client.SitePostAsync("/site/visit", """{"referrer": "https://blog.example/"}""");
        var (_, shown) = await client.SitePostAsync("/site/number", $$$"""{"visit_id": {{{visit.GetProperty("visit_id").GetString()}}}}""");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, shown.GetProperty("phone").ValueKind);
    }

    [Fact]
    public async Task Browsers_may_call_the_site_endpoints_from_other_origins()
    {
        using var http = app.CreateClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/site/number?project=1");
        preflight.Headers.Add("Origin", "https://shop.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var response = await http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/site/visit", """{"city": 5}""", "city")]
    [InlineData("/site/number", """{}""", "visit_id")]
    [InlineData("/site/number", """{"visit_id": 999999999}""", "visit_id")]
    [InlineData("/site/number", """{"visit_id": 1, "numbers_version": 5}""", "numbers_version")]
    [InlineData("/site/number", """{"visit_id": 1, "numbers_version": "0123456789012345678901234567890123456789012345678901234567890123456789"}""", "numbers_version")]
    [InlineData("/site/heartbeat", """{"visit_id": "x"}""", "visit_id")]
    public async Task Bad_site_requests_are_400_naming_the_field(string path, string json, string field)
    {
        var client = await ApiClient.ForNewProjectAsync(app, "badsite");
        var (status, body) = await client.SitePostAsync(path, json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(field + ":", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_numbers_and_disabled_scripts_are_told_apart()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "statuses");
        var number = NewNumber();
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "off", "is_enabled": 0, "replaceable_numbers": ["{{{number}}}"]}""");
        var resolver = app.Services.GetRequiredService<IRouteResolver>();

        Assert.Equal(RouteLookupStatus.UnknownNumber, (await resolver.ResolveAsync(new RouteQuery(NewNumber(), null, DateTimeOffset.UtcNow), default)).Status);
        Assert.Equal(RouteLookupStatus.ScriptDisabled, (await resolver.ResolveAsync(new RouteQuery(number, null, DateTimeOffset.UtcNow), default)).Status);
    }

    [Fact]
    public async Task Static_scripts_carry_their_channel_and_sip_trunk_scripts_their_account()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "static");
        var offline = NewNumber();
        var trunk = NewNumber();
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "print", "options": {"calltracking_type": "static", "static_source": "offline", "redirect": {"type": "sip", "value": "sip:office@192.0.2.5:5070"}}, "replaceable_numbers": ["{{{offline}}}"]}""");
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "pbx", "options": {"redirect": {"type": "sip_trunk", "value": "pbx-secret-1", "sip_trunk_postfix": "5"}}, "replaceable_numbers": ["{{{trunk}}}"]}""");
        var resolver = app.Services.GetRequiredService<IRouteResolver>();

        var staticRoute = (await resolver.ResolveAsync(new RouteQuery(offline, null, DateTimeOffset.UtcNow), default)).Decision!;
        Assert.Equal("offline", staticRoute.StaticSource);
        Assert.Equal(RedirectType.Sip, staticRoute.Redirect);
        var trunkRoute = (await resolver.ResolveAsync(new RouteQuery(trunk, null, DateTimeOffset.UtcNow), default)).Decision!;
        Assert.Equal($"{client.Project}_5", trunkRoute.SipAccount);

        var account = await app.Services.GetRequiredService<Calltracking.Shared.Registrations.ISipAccountDirectory>().FindAsync($"{client.Project}_5", default);
        Assert.Equal("pbx-secret-1", account!.Password);
        Assert.Null(await app.Services.GetRequiredService<Calltracking.Shared.Registrations.ISipAccountDirectory>().FindAsync($"{client.Project}_6", default));
    }

    [Fact]
    public async Task With_redis_down_the_call_is_routed_without_attribution()
    {
        var client = await ApiClient.ForNewProjectAsync(app, "degraded");
        var number = NewNumber();
        await client.OkAsync("project/calltracking/script/create", $$$"""{"name": "d", "replaceable_numbers": ["{{{number}}}"]}""");
        using var cut = new EdgeAppFactory(stores, new Dictionary<string, string?> { ["Redis:Configuration"] = $"127.0.0.1:{FreePort.Tcp()},connectTimeout=200,syncTimeout=200" });

        var lookup = await cut.Services.GetRequiredService<IRouteResolver>().ResolveAsync(new RouteQuery(number, null, DateTimeOffset.UtcNow), default);

        Assert.Equal(RouteLookupStatus.Found, lookup.Status);
        Assert.True(lookup.Degraded);
        Assert.Equal(AttributionConfidence.None, lookup.Decision!.Attribution.Confidence);
    }
}
