using System.Net;
using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.NumberPool.Tests.Api;

/// <summary>The site endpoints are public: each client address gets a token bucket, and floods get 429.</summary>
public sealed class SiteRateLimitTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private static async Task<HttpStatusCode> VisitAsync(HttpClient http, long project, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/site/visit?project={project}") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("error", body.RootElement.GetProperty("status").GetString());
            Assert.Equal("rate_limited", body.RootElement.GetProperty("error").GetString());
            Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        return response.StatusCode;
    }

    [Fact]
    public async Task A_client_past_its_burst_gets_429_with_retry_after_while_other_clients_go_on()
    {
        // The in-process server has no client address (it is ::), which is listed as a proxy here so that
        // X-Forwarded-For tells the clients apart, as it does behind a real reverse proxy.
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?>
        {
            ["NumberPool:SiteRequestsPerSecondPerIp"] = "1",
            ["NumberPool:SiteBurstPerIp"] = "3",
            ["NumberPool:SiteTrustedProxies:0"] = "::/128",
        });
        var (project, _) = await app.Services.GetRequiredService<ProjectStore>().CreateAsync("ratelimit", CancellationToken.None);
        using var http = app.CreateClient();

        var first = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            first.Add(await VisitAsync(http, project, "198.51.100.7, 203.0.113.10"));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], first);

        // Another client (the last forwarded address is the one the proxy saw) is not affected; a spoofed first entry changes nothing.
        Assert.Equal(HttpStatusCode.OK, await VisitAsync(http, project, "203.0.113.11"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await VisitAsync(http, project, "192.0.2.99, 203.0.113.10"));
    }

    [Fact]
    public async Task Without_trusted_proxies_the_forwarded_header_is_ignored()
    {
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?>
        {
            ["NumberPool:SiteRequestsPerSecondPerIp"] = "1",
            ["NumberPool:SiteBurstPerIp"] = "2",
        });
        var (project, _) = await app.Services.GetRequiredService<ProjectStore>().CreateAsync("ratelimit", CancellationToken.None);
        using var http = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await VisitAsync(http, project, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.OK, await VisitAsync(http, project, "203.0.113.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await VisitAsync(http, project, "203.0.113.3"));
    }

    [Theory]
    [InlineData("SiteRequestsPerSecondPerIp", "0")]
    [InlineData("SiteBurstPerIp", "1")]
    [InlineData("SiteTrustedProxies:0", "not-an-address")]
    [InlineData("LeaseHistoryHours", "0")]
    [InlineData("CallerMemoryDays", "0")]
    public void Bad_settings_are_refused_at_start_naming_the_setting(string setting, string value)
    {
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?> { ["NumberPool:SiteRequestsPerSecondPerIp"] = "2", ["NumberPool:" + setting] = value });
        var error = Assert.Throws<OptionsValidationException>(() => app.Services);
        Assert.Contains("NumberPool:" + setting.Split(':')[0], error.Message, StringComparison.Ordinal);
    }
}
