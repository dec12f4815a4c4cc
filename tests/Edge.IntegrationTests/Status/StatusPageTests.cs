using System.Diagnostics.Metrics;
using System.Net;
using Calltracking.Edge.Testing;
using Microsoft.Playwright;

namespace Calltracking.Edge.IntegrationTests.Status;

/// <summary>The operator's status page in headless Chromium against a running edge.</summary>
public sealed class StatusPageTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private const string AdminKey = "status-page-admin-key-0123456789";

    [Fact]
    public async Task Page_needs_the_admin_key()
    {
        using var server = new EdgeServer(stores, new Dictionary<string, string?> { ["Http:AdminKey"] = AdminKey });
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/status")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/status?key=wrong")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/status?key={AdminKey}")).StatusCode);
    }

    [Fact]
    public async Task Page_is_off_without_an_admin_key()
    {
        using var server = new EdgeServer(stores);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/status?key=anything")).StatusCode);
    }

    [Fact]
    public async Task Page_shows_live_figures_from_the_metrics()
    {
        using var server = new EdgeServer(stores, new Dictionary<string, string?> { ["Http:AdminKey"] = AdminKey });
        using var meter = new Meter("Calltracking.Edge.Sip");
        var calls = meter.CreateCounter<long>("edge_calls_total");
        var active = meter.CreateUpDownCounter<long>("edge_calls_active");
        calls.Add(3, new KeyValuePair<string, object?>("status", "answer"), new KeyValuePair<string, object?>("redirect_type", "phone"));
        calls.Add(1, new KeyValuePair<string, object?>("status", "busy"), new KeyValuePair<string, object?>("redirect_type", "phone"));
        active.Add(7);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExternalTool.Require("chromium", "chromium", "/usr/bin/chromium"),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, $"/status?key={AdminKey}").ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]", new PageWaitForSelectorOptions { Timeout = 15_000 });

        Assert.Equal("7", await page.TextContentAsync("#active"));
        Assert.Equal("75.0 %", await page.TextContentAsync("#answer"));
        Directory.CreateDirectory(ArtifactsDirectory());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory(), "status-page.png"), FullPage = true });
    }

    private static string ArtifactsDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Calltracking.Edge.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts");
    }
}
