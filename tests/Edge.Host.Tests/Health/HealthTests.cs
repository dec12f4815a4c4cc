using System.Net;
using System.Text.Json;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Host.Tests.Health;

public sealed class HealthTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    [Fact]
    public async Task Health_answers_while_the_process_lives()
    {
        using var app = new EdgeAppFactory(stores);
        using var response = await app.CreateClient().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ready_when_redis_and_postgres_answer()
    {
        using var app = new EdgeAppFactory(stores);
        using var response = await app.CreateClient().GetAsync("/ready");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Not_ready_when_redis_is_unreachable()
    {
        var deadRedis = $"127.0.0.1:{FreePort.Tcp()},connectTimeout=300";
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?> { ["Redis:Configuration"] = deadRedis });
        using var response = await app.CreateClient().GetAsync("/ready");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.False(body.GetProperty("checks").GetProperty("redis").GetProperty("ok").GetBoolean());
        Assert.True(body.GetProperty("checks").GetProperty("postgres").GetProperty("ok").GetBoolean());
    }
}
