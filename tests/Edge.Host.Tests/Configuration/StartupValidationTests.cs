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
    public void A_bad_setting_stops_start_up_naming_it(string key, string value, string named)
    {
        using var app = new EdgeAppFactory(stores, new Dictionary<string, string?> { [key] = value });
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException;
        Assert.NotNull(validation);
        Assert.Contains(named, validation.Message, StringComparison.Ordinal);
    }
}
