using System.Diagnostics;
using System.Text.RegularExpressions;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>
/// The whole edge (real PostgreSQL and Redis) under the load kit's OPTIONS profile: SIPp's counts and the edge's
/// <c>/metrics</c> must agree exactly. The call profiles join this once the B2BUA routes INVITEs.
/// </summary>
public sealed partial class LoadKitAgainstEdgeTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private const int Pings = 60;

    [Fact]
    public async Task Options_profile_moves_the_sip_counters_by_exactly_the_pings_sent()
    {
        var sipPort = FreePort.Udp();
        using var edge = new EdgeServer(stores, new Dictionary<string, string?>
        {
            ["Sip:UdpListen"] = $"127.0.0.1:{sipPort}",
            ["Routing:Carriers:0:Cidr"] = "127.0.0.1/32",
        });
        using var http = new HttpClient { BaseAddress = edge.BaseAddress };
        var before = await http.GetStringAsync("/metrics");

        var output = RunOptionsProfile($"127.0.0.1:{sipPort}");
        var after = await http.GetStringAsync("/metrics");

        Assert.Contains($"{Pings} created, {Pings} succeeded, 0 failed", output, StringComparison.Ordinal);
        Assert.Equal(Pings, Sample(after, "edge_sip_requests_total", "direction=\"in\",method=\"OPTIONS\"") - Sample(before, "edge_sip_requests_total", "direction=\"in\",method=\"OPTIONS\""));
        Assert.Equal(Pings, Sample(after, "edge_sip_responses_total", "direction=\"out\",method=\"OPTIONS\",status_class=\"2xx\"") - Sample(before, "edge_sip_responses_total", "direction=\"out\",method=\"OPTIONS\",status_class=\"2xx\""));
    }

    private static double Sample(string exposition, string metric, string labels)
    {
        var match = Regex.Match(exposition, "^" + Regex.Escape($"{metric}{{{labels}}}") + @" (\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    private static string RunOptionsProfile(string address)
    {
        ExternalTool.Require("sipp", "sip-tester", "/usr/bin/sipp");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(RepositoryFiles.PathOf("deploy/sipp/run-profile.sh"));
        psi.ArgumentList.Add("options");
        psi.ArgumentList.Add(address);
        var outDir = Path.Combine(Path.GetTempPath(), $"edge-sipp-options-{Guid.NewGuid():N}");
        psi.Environment["OUT"] = outDir;
        psi.Environment["CALLS"] = Pings.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["RATE"] = "60";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("run-profile.sh options did not finish in 90 s");
        }

        var output = stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();
        if (Directory.Exists(outDir))
        {
            Directory.Delete(outDir, recursive: true);
        }

        Assert.True(process.ExitCode == 0, output);
        return output;
    }
}
