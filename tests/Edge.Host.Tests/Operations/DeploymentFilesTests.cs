using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Calltracking.Edge.Testing;
using Calltracking.Shared.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>What an operator installs from deploy/: the systemd unit, the example production settings, the compose stack.</summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string Unit = RepositoryFiles.PathOf("deploy/systemd/calltracking-edge.service");

    private static string SystemdAnalyze() => ExternalTool.Require("systemd-analyze", "systemd", "/usr/bin/systemd-analyze", "/bin/systemd-analyze");

    [Theory]
    [InlineData("calltracking-edge.service")]
    [InlineData("calltracking-edge-backup.service")]
    [InlineData("calltracking-edge-backup.timer")]
    public void Systemd_units_verify_without_warnings(string unit)
    {
        var output = ExternalTool.Run(SystemdAnalyze(), ["verify", RepositoryFiles.PathOf("deploy/systemd/" + unit)], Timeout);
        Assert.True(output.Trim().Length == 0, "systemd-analyze verify complained: " + output);
    }

    [Fact]
    public void Backup_unit_is_hardened_and_only_writes_the_backup_location()
    {
        var unit = RepositoryFiles.PathOf("deploy/systemd/calltracking-edge-backup.service");
        var output = ExternalTool.Run(SystemdAnalyze(), ["security", "--offline=yes", "--threshold=20", unit], Timeout);
        Assert.InRange(double.Parse(ExposureLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture), 0, 2.0);
        var text = File.ReadAllText(unit);
        Assert.Contains("ReadOnlyPaths=/var/lib/calltracking-edge\n", text, StringComparison.Ordinal);
        Assert.Contains("ReadWritePaths=/var/backups/calltracking-edge\n", text, StringComparison.Ordinal);
        Assert.Contains("--no-clobber", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Systemd_unit_is_hardened()
    {
        // systemd-analyze scores exposure from 0 (locked down) to 10; fails (exit 1) above the threshold (tenths).
        var output = ExternalTool.Run(SystemdAnalyze(), ["security", "--offline=yes", "--threshold=20", Unit], Timeout);
        var exposure = double.Parse(ExposureLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(exposure, 0, 2.0);

        var unit = File.ReadAllText(Unit);
        foreach (var directive in new[]
        {
            "User=calltracking-edge", "ProtectSystem=strict", "ReadWritePaths=/var/lib/calltracking-edge", "LimitNOFILE=1048576",
            "NoNewPrivileges=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "KillSignal=SIGTERM",
        })
        {
            Assert.Contains(directive, unit, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Example_production_settings_pass_the_edges_own_start_up_validation()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(RepositoryFiles.PathOf("deploy/systemd/appsettings.Production.json"), optional: false)
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddEdge(configuration);
        using var provider = services.BuildServiceProvider();

        // Runs every validator registered with ValidateOnStart, as host start does.
        provider.GetRequiredService<IStartupValidator>().Validate();
        var metrics = provider.GetRequiredService<IOptions<MetricsOptions>>().Value;
        Assert.Equal([0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30], metrics.HistogramBuckets[EdgeMetricNames.CallPostDialDelaySeconds]);
        Assert.All(metrics.HistogramBuckets.Keys, name => Assert.Contains(name, typeof(EdgeMetricNames).GetFields().Select(static f => f.GetRawConstantValue())));
    }

    [Fact]
    public void Compose_stack_has_edge_redis_postgres_and_prometheus_wired_together()
    {
        var python = ExternalTool.Require("python3", "python3-yaml", "/usr/bin/python3");
        var json = ExternalTool.Run(
            python,
            ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", RepositoryFiles.PathOf("deploy/compose/compose.yml")],
            Timeout);
        using var document = JsonDocument.Parse(json);
        var services = document.RootElement.GetProperty("services");
        Assert.Equal(["edge", "grafana", "postgres", "prometheus", "redis"], services.EnumerateObject().Select(static s => s.Name).Order(StringComparer.Ordinal));

        var edge = services.GetProperty("edge");
        var environment = edge.GetProperty("environment");
        Assert.StartsWith("Host=postgres;", environment.GetProperty("Postgres__ConnectionString").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("redis:6379", environment.GetProperty("Redis__Configuration").GetString(), StringComparison.Ordinal);
        Assert.Contains("5060:5060/udp", edge.GetProperty("ports").EnumerateArray().Select(static p => p.GetString()));

        // Prometheus reads the very files promtool checks, and scrapes the edge service by name.
        Assert.Contains("../prometheus:/etc/prometheus:ro", services.GetProperty("prometheus").GetProperty("volumes").EnumerateArray().Select(static v => v.GetString()));
        Assert.Contains("- edge:8080", File.ReadAllText(RepositoryFiles.PathOf("deploy/prometheus/prometheus.yml")), StringComparison.Ordinal);
        Assert.True(File.Exists(RepositoryFiles.PathOf(edge.GetProperty("build").GetProperty("dockerfile").GetString()!)));

        // Every file or directory a service mounts from the repository exists (paths relative to deploy/compose).
        foreach (var service in services.EnumerateObject())
        {
            if (!service.Value.TryGetProperty("volumes", out var volumes))
            {
                continue;
            }

            foreach (var source in volumes.EnumerateArray().Select(static v => v.GetString()!.Split(':')[0]).Where(static s => s.StartsWith("../", StringComparison.Ordinal)))
            {
                var path = Path.GetFullPath(Path.Combine(RepositoryFiles.PathOf("deploy/compose"), source));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{service.Name} mounts {source}, which does not exist");
            }
        }
    }

    [GeneratedRegex(@"Overall exposure level for \S+: ([0-9.]+)")]
    private static partial Regex ExposureLine();
}
