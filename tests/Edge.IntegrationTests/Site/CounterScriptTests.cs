using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Testing;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Calltracking.Edge.IntegrationTests.Site;

/// <summary>
/// The substitution script in headless Chromium: a customer's page (served by the browser from its own origin)
/// embeds <c>counter.js</c> from a running edge, which creates the visit, leases a number, writes it into the page
/// and keeps it with heartbeats.
/// </summary>
public sealed class CounterScriptTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    /// <summary>
    /// The customer's site: its own origin (localhost on another port, so the counter's requests are cross-origin;
    /// a loopback origin, because Chromium lets only loopback or secure pages reach a loopback service).
    /// </summary>
    private sealed class CustomerSite : IAsyncDisposable
    {
        private readonly WebApplication app;

        public CustomerSite(Func<string> page)
        {
            var port = FreePort.Tcp();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://localhost:{port}");
            builder.Logging.ClearProviders();
            app = builder.Build();
            app.MapGet("/{**path}", () => Results.Content(page(), "text/html"));
            app.StartAsync().GetAwaiter().GetResult();
            Address = $"http://localhost:{port}";
        }

        public string Address { get; }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright) => await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ExternalTool.Require("chromium", "chromium", "/usr/bin/chromium"),
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    private static string Page(Uri edge, long project, string shown) => $"""
        <!doctype html>
        <html><head><title>Shop</title></head><body>
          <p>Call us: <span class="phone">8 (800) 000-00-00</span></p>
          <p id="text">Sales: {shown}, weekdays</p>
          <p><a id="tel" href="tel:{shown.Replace(" ", string.Empty, StringComparison.Ordinal)}">call</a></p>
          <p id="other">Fax: +7 (812) 555-44-33</p>
          <script src="{edge}site/counter.js" data-project="{project}"></script>
        </body></html>
        """;

    private async Task<(EdgeServer Edge, long Project, string[] Numbers)> EdgeWithScriptAsync()
    {
        var edge = new EdgeServer(stores);
        var (project, key) = await edge.Services.GetRequiredService<ProjectStore>().CreateAsync("site", CancellationToken.None);
        var seed = Random.Shared.Next(1_000_000, 9_999_999);
        string[] numbers = [$"7495{seed}", $"7495{seed + 1}"];
        using var http = new HttpClient { BaseAddress = edge.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/project/calltracking/script/create?project={project}")
        {
            Content = new StringContent(
                "{\"name\": \"site\", \"options\": {\"css_selector\": [\".phone\"], \"phone_format\": \"8 (XXX) XXX-XX-XX\", \"lease_grace_seconds\": 15, "
                + "\"redirect\": {\"type\": \"phone\", \"value\": \"74990000000\"}}, \"replaceable_numbers\": [\"" + numbers[0] + "\", \"" + numbers[1] + "\"]}",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Api-key", key);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (edge, project, numbers);
    }

    /// <summary>What the page logged and which requests failed, for the message of a test that times out.</summary>
    private static List<string> Watch(IPage page)
    {
        var log = new List<string>();
        page.Console += (_, m) => log.Add("console: " + m.Text);
        page.RequestFailed += (_, r) => log.Add("failed: " + r.Url + " " + r.Failure);
        return log;
    }

    private static async Task<T> Explained<T>(Task<T> waiting, List<string> log, string? context = null)
    {
        try
        {
            return await waiting;
        }
        catch (TimeoutException)
        {
            Assert.Fail("the page never got there:\n" + string.Join("\n", log) + (context is null ? string.Empty : "\n" + context));
            throw;
        }
    }

    private static string Formatted(string number) => $"8 ({number[1..4]}) {number[4..7]}-{number[7..9]}-{number[9..11]}";

    [Fact]
    public async Task The_page_shows_the_leased_number_formatted_and_keeps_it_with_heartbeats()
    {
        var (edge, project, numbers) = await EdgeWithScriptAsync();
        using var _ = edge;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var shown = $"+{numbers[0][0]} {numbers[0][1..4]} {numbers[0][4..7]}-{numbers[0][7..9]}-{numbers[0][9..]}";
        await using var site = new CustomerSite(() => Page(edge.BaseAddress, project, shown));

        var log = Watch(page);
        var numberResponse = page.WaitForResponseAsync(r => r.Url.Contains("/site/number", StringComparison.Ordinal), new PageWaitForResponseOptions { Timeout = 15_000 });
        await page.GotoAsync($"{site.Address}/landing?utm_source=google&roistat=direct_1");
        var number = JsonDocument.Parse(await (await Explained(numberResponse, log)).TextAsync()).RootElement;
        var leased = number.GetProperty("phone").GetString()!;
        Assert.Contains(leased, numbers);

        // The selector's element and the text and tel: link that showed one of the script's numbers now show the lease.
        await Explained(page.WaitForFunctionAsync("() => document.querySelector('.phone').textContent !== '8 (800) 000-00-00'", null, new PageWaitForFunctionOptions { Timeout = 10_000 }), log, number.ToString());
        Assert.Equal(Formatted(leased), await page.TextContentAsync(".phone"));
        Assert.Equal($"Sales: {Formatted(leased)}, weekdays", await page.TextContentAsync("#text"));
        Assert.Equal($"tel:+{leased}", await page.GetAttributeAsync("#tel", "href"));
        Assert.Equal("Fax: +7 (812) 555-44-33", await page.TextContentAsync("#other"));

        // The visit carries the page's traffic data.
        await using (var connection = await stores.DataSource.OpenConnectionAsync())
        {
            var visit = await connection.QuerySingleAsync<(string? UtmSource, string? Marker, string? Domain)>(
                "SELECT utm_source, marker, domain FROM visits WHERE project_id = @project", new { project });
            Assert.Equal(("google", "direct_1", "localhost"), visit);
        }

        // Heartbeats (every 5 s for a 15 s grace) renew the lease while the page is visible.
        var heartbeat = await page.WaitForResponseAsync(r => r.Url.Contains("/site/heartbeat", StringComparison.Ordinal), new PageWaitForResponseOptions { Timeout = 15_000 });
        Assert.Equal(1, JsonDocument.Parse(await heartbeat.TextAsync()).RootElement.GetProperty("renewed").GetInt32()); // leases renewed

        // Another page of the same site reuses the visit from the cookie, and so its number; it holds the script's
        // numbers from the first page (by version), so the answer leaves them out and the page is replaced all the same.
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        var again = page.WaitForResponseAsync(r => r.Url.Contains("/site/number", StringComparison.Ordinal));
        await page.GotoAsync($"{site.Address}/catalogue");
        var second = await again;
        var secondAnswer = JsonDocument.Parse(await second.TextAsync()).RootElement;
        Assert.Equal(leased, secondAnswer.GetProperty("phone").GetString());
        Assert.Contains(number.GetProperty("numbers_version").GetString()!, second.Request.PostData, StringComparison.Ordinal);
        Assert.False(secondAnswer.TryGetProperty("replaceable_numbers", out var _));
        await Explained(page.WaitForFunctionAsync("() => document.querySelector('.phone').textContent !== '8 (800) 000-00-00'", null, new PageWaitForFunctionOptions { Timeout = 10_000 }), log, secondAnswer.ToString());
        Assert.Equal($"Sales: {Formatted(leased)}, weekdays", await page.TextContentAsync("#text"));
        Assert.DoesNotContain(requests, u => u.Contains("/site/visit", StringComparison.Ordinal));
        await using (var connection = await stores.DataSource.OpenConnectionAsync())
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM visits WHERE project_id = @project", new { project }));
        }
    }

    [Fact]
    public async Task When_the_edge_does_not_answer_the_page_stays_as_written()
    {
        var (edge, project, numbers) = await EdgeWithScriptAsync();
        using var _ = edge;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        var shown = numbers[0];
        await using var site = new CustomerSite(() => Page(edge.BaseAddress, project, shown));
        var failed = new TaskCompletionSource();
        await page.RouteAsync("**/site/number**", async route =>
        {
            await route.AbortAsync("connectionrefused");
            failed.TrySetResult();
        });
        await page.GotoAsync($"{site.Address}/landing");
        await failed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await page.WaitForTimeoutAsync(300);
        Assert.Equal("8 (800) 000-00-00", await page.TextContentAsync(".phone"));
        Assert.Equal($"Sales: {shown}, weekdays", await page.TextContentAsync("#text"));
    }
}
