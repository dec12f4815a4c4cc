using System.Globalization;
using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.IntegrationTests.Routing;

/// <summary>The edge under test for call-path tests: the in-process app, an API client and a project of its own.</summary>
internal sealed class RoutingEdge : IDisposable
{
    public required EdgeAppFactory App { get; init; }
    public required HttpClient Http { get; init; }
    public required long Project { get; init; }
    public required string Key { get; init; }

    public string SipAddress => $"127.0.0.1:{App.Services.GetRequiredService<SipStack>().UdpEndPoint!.Port.ToString(CultureInfo.InvariantCulture)}";

    public async Task<JsonElement> ApiAsync(string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/{path}?project={Project}") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Api-key", Key);
        using var response = await Http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {body}");
        return body;
    }

    public async Task<JsonElement> SiteAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync($"{path}?project={Project}", content);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The call records once the spool has drained (records arrive asynchronously by design).</summary>
    public async Task<JsonElement> CallAsync(Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var calls = (await ApiAsync("project/calltracking/call/list", """{"extend": ["visit"]}""")).GetProperty("data");
            if (calls.GetArrayLength() > 0 && done(calls[0]))
            {
                return calls[0];
            }

            Assert.True(DateTime.UtcNow < deadline, $"no finished call record: {calls}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        Http.Dispose();
        App.Dispose();
    }

    /// <summary>An edge in-process trusting <paramref name="carriers"/> (CIDR) with outbound gateways on the given loopback ports, and a fresh project.</summary>
    public static async Task<RoutingEdge> StartAsync(EdgeStoresFixture stores, string carriers, IReadOnlyDictionary<string, string?>? extra, params int[] gatewayPorts)
    {
        // SIPp answers digest challenges with MD5 only and reads the first challenge, so these edges offer MD5 alone.
        var settings = new Dictionary<string, string?> { ["Routing:Carriers:0:Cidr"] = carriers, ["Routing:GatewayTimeoutSeconds"] = "2", ["Routing:RegistrarAlgorithms:0"] = "MD5" };
        for (var i = 0; i < gatewayPorts.Length; i++)
        {
            settings[$"Routing:OutboundGateways:{i}"] = $"127.0.0.1:{gatewayPorts[i]}";
        }

        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }

        var app = new EdgeAppFactory(stores, settings);
        var http = app.CreateClient();
        var (project, key) = await app.Services.GetRequiredService<ProjectStore>().CreateAsync("routing", CancellationToken.None);
        return new RoutingEdge { App = app, Http = http, Project = project, Key = key };
    }
}
