using Calltracking.Edge.Testing;

namespace Calltracking.Edge.IntegrationTests.Status;

/// <summary>The edge as its own process runs no file watcher, however much is written under its working directory.</summary>
public sealed class ProcessThreadsTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    [Fact]
    public async Task Writes_under_the_working_directory_wake_no_file_watcher()
    {
        var data = Directory.CreateTempSubdirectory("edge-threads-test").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Postgres__ConnectionString"] = stores.PostgresConnectionString,
            ["Redis__Configuration"] = stores.Redis.Configuration,
            ["Sip__UdpListen"] = $"127.0.0.1:{FreePort.Udp()}",
            ["Sip__TcpListen"] = string.Empty,
            ["CallHistory__SpoolDirectory"] = Path.Combine(data, "spool"),
            ["Recording__CaptureDirectory"] = Path.Combine(data, "captures"),
            ["Recording__Directory"] = Path.Combine(data, "recordings"),
            ["Logging__LogLevel__Default"] = "Warning",
        };

        using var edge = await EdgeProcess.StartAsync(settings);
        // The working directory is the content root (EdgeProcess starts the edge there, as systemd and start.sh do).
        var scratch = Path.Combine(AppContext.BaseDirectory, $"watch-probe-{Guid.NewGuid():N}.json");
        try
        {
            for (var i = 0; i < 20; i++)
            {
                await File.WriteAllTextAsync(scratch, $"{{\"n\": {i}}}");
                await Task.Delay(20);
            }
        }
        finally
        {
            File.Delete(scratch);
        }

        var threads = edge.ThreadNames;
        Assert.Contains(threads, t => t.StartsWith("sip-udp", StringComparison.Ordinal));
        Assert.DoesNotContain(threads, t => t.Contains("File Watch", StringComparison.Ordinal));
    }
}
