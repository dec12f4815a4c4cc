using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Calltracking.Edge.Testing;

/// <summary>
/// The whole edge in-process, wired to the fixture's real PostgreSQL and Redis. Extra settings (keys as in
/// configuration, e.g. <c>Http:AdminKey</c>) override the defaults.
/// </summary>
public sealed class EdgeAppFactory(EdgeStoresFixture stores, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Postgres:ConnectionString", stores.PostgresConnectionString);
        builder.UseSetting("Redis:Configuration", stores.Redis.Configuration);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }
}
