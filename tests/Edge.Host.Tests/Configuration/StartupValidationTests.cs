using Calltracking.Edge.Testing;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Host.Tests.Configuration;

public sealed class StartupValidationTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    [Theory]
    [InlineData("Postgres:ConnectionString", "", "Postgres:ConnectionString")]
    [InlineData("Postgres:ConnectionString", "Host=;Nonsense", "Postgres:ConnectionString")]
    [InlineData("Redis:Configuration", "", "Redis:Configuration")]
    [InlineData("Http:ApiKeyCacheSeconds", "-1", "Http:ApiKeyCacheSeconds")]
    [InlineData("Http:AdminKey", "short", "Http:AdminKey")]
    [InlineData("CallHistory:AbandonedAfterHours", "4", "longer than Routing:MaxCallSeconds")]
    [InlineData("Routing:MaxCallSeconds", "0", "needs Routing:MaxCallSeconds above 0")]
    public void A_bad_setting_stops_start_up_naming_it(string key, string value, string named)
    {
        // The test host sometimes reports a start that failed as its own disposed service provider
        // (ObjectDisposedException from WebApplicationFactory's deferred host, racing the entry point's failure):
        // a start that fails that way is tried again, and what is asserted is the failure the edge itself gave.
        Exception error;
        var attempts = 0;
        // On a loaded machine the race can win several times running, so it gets up to 20 tries, a moment apart.
        do
        {
            if (attempts > 0)
            {
                Thread.Sleep(100);
            }

            using var app = new EdgeAppFactory(stores, new Dictionary<string, string?> { [key] = value });
            error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        }
        while (error is ObjectDisposedException && ++attempts < 20);

        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException;
        Assert.True(validation is not null, error.ToString());
        Assert.Contains(named, validation!.Message, StringComparison.Ordinal);
    }
}
