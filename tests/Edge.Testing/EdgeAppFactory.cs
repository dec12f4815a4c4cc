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
        builder.UseSetting("Sip:UdpListen", "127.0.0.1:0");
        builder.UseSetting("Sip:TcpListen", "127.0.0.1:0");
        var data = Path.Combine(Path.GetTempPath(), "edge-test-data", Guid.NewGuid().ToString("N"));
        builder.UseSetting("CallHistory:SpoolDirectory", Path.Combine(data, "spool"));
        builder.UseSetting("Recording:CaptureDirectory", Path.Combine(data, "captures"));
        builder.UseSetting("Recording:Directory", Path.Combine(data, "recordings"));
        builder.UseSetting("Recording:LinkSecret", "test-link-secret-0123456789abcdef0123456789");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>The whole edge on a real Kestrel listener on a free loopback port, for browsers and external tools.</summary>
public sealed class EdgeServer : IDisposable
{
    private readonly EdgeAppFactory factory;

    public EdgeServer(EdgeStoresFixture stores, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var port = FreePort.Tcp();
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Http:Urls"] = $"http://127.0.0.1:{port}" };
        factory = new EdgeAppFactory(stores, all);
        factory.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));
        factory.StartServer();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => factory.Services;

    public void Dispose() => factory.Dispose();
}
