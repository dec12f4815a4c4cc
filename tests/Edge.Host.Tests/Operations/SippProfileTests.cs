using System.Diagnostics;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>
/// deploy/sipp/run-profile.sh with real SIPp on both ends: every scenario of the kit is loaded and played by SIPp
/// against its stand-in peer (the target PBX scenarios, or standins/ for the edge's registrar and OPTIONS answer),
/// bounded to a few calls, and the summary reports them.
/// </summary>
public sealed class SippProfileTests
{
    private static (int ExitCode, string Output) RunProfile(string profile, string address, Dictionary<string, string> environment, string script = "deploy/sipp/run-profile.sh")
    {
        ExternalTool.Require("sipp", "sip-tester", "/usr/bin/sipp");
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(RepositoryFiles.PathOf(script));
        psi.ArgumentList.Add(profile);
        psi.ArgumentList.Add(address);
        psi.Environment["OUT"] = Path.Combine(Path.GetTempPath(), $"edge-sipp-test-{profile}-{Guid.NewGuid():N}");
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"run-profile.sh {profile} did not finish in 90 s");
        }

        var output = stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();
        if (Directory.Exists(psi.Environment["OUT"]))
        {
            Directory.Delete(psi.Environment["OUT"]!, recursive: true);
        }

        return (process.ExitCode, output);
    }

    private static Dictionary<string, string> Bounded(params (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string> { ["CALLS"] = "10", ["RATE"] = "20", ["HOLD_MS"] = "100" };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    [Theory]
    [InlineData("smoke", "answer")]
    [InlineData("cancel-storm", "cancel")]
    public void Call_profiles_complete_every_call_against_the_target_scenario(string profile, string timer)
    {
        // Straight at the target PBX scenario: the caller side and the target side of the kit meet with no edge between.
        var address = $"127.0.0.1:{FreePort.Udp()}";
        var (exitCode, output) = RunProfile(profile, address, Bounded(("TARGET_LISTEN", address)));

        Assert.True(exitCode == 0, output);
        Assert.Contains("10 created, 10 succeeded, 0 failed", output, StringComparison.Ordinal);
        Assert.Contains("failures       none", output, StringComparison.Ordinal);
        Assert.Matches($@"\n  {timer} +n=10 +p50 +[0-9.]+ +p90 +[0-9.]+ +p99 +[0-9.]+ +max +[0-9.]+", output);
    }

    [Theory]
    [InlineData("register-churn", "unregister")]
    [InlineData("options", "options")]
    public void Edge_facing_profiles_complete_against_their_stand_ins(string profile, string timer)
    {
        var (exitCode, output) = RunProfile(profile, $"127.0.0.1:{FreePort.Udp()}", Bounded(("STANDIN", "1")));

        Assert.True(exitCode == 0, output);
        Assert.Contains("10 created, 10 succeeded, 0 failed", output, StringComparison.Ordinal);
        Assert.Matches($@"\n  {timer} +n=10 ", output);
    }

    [Fact]
    public void Failed_calls_are_reported_and_fail_the_run()
    {
        // The cancel-storm caller against the answering target: every call is answered instead of cancelled.
        var address = $"127.0.0.1:{FreePort.Udp()}";
        var environment = Bounded(("NO_TARGET", "1"), ("CALLS", "3"));
        var psiTarget = new ProcessStartInfo("sipp")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in new[] { "-sf", RepositoryFiles.PathOf("deploy/sipp/target-uas.xml"), "-i", "127.0.0.1", "-p", address.Split(':')[1], "-mp", FreePort.Udp().ToString(System.Globalization.CultureInfo.InvariantCulture), "-cp", FreePort.Udp().ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "3", "-nostdin", "-timeout", "30s" })
        {
            psiTarget.ArgumentList.Add(argument);
        }

        using var target = Process.Start(psiTarget)!;
        try
        {
            var (exitCode, output) = RunProfile("cancel-storm", address, environment);
            Assert.Equal(1, exitCode);
            Assert.Contains("3 created, 0 succeeded, 3 failed (100.000%)", output, StringComparison.Ordinal);
            Assert.Matches(@"failures       .*UnexpectedMessage=3", output);
        }
        finally
        {
            if (!target.HasExited)
            {
                target.Kill();
            }
        }
    }

    [Fact]
    public void Sweep_runs_each_rate_and_reports_the_achieved_rate_and_the_edges_cpu_per_call()
    {
        var address = $"127.0.0.1:{FreePort.Udp()}";
        var (exitCode, output) = RunProfile(
            "smoke",
            address,
            new Dictionary<string, string> { ["TARGET_LISTEN"] = address, ["RATES"] = "10 20", ["STEP_SECS"] = "1", ["HOLD_MS"] = "100", ["EDGE_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            "deploy/sipp/sweep.sh");

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"\n10/s +10 +0 +0\.000 +[0-9.]+ +[0-9]+ us\n", output);
        Assert.Matches(@"\n20/s +20 +0 +0\.000 +[0-9.]+ +[0-9]+ us\n", output);
    }

    [Theory]
    [InlineData("no-such-profile", "")]
    [InlineData("smoke", "RATE=0")]
    [InlineData("smoke", "RATE=20001")]
    [InlineData("smoke", "CALLS=abc")]
    public void Bad_usage_is_refused_before_any_traffic(string profile, string setting)
    {
        var environment = new Dictionary<string, string>();
        if (setting.Length > 0)
        {
            environment[setting.Split('=')[0]] = setting.Split('=')[1];
        }

        var (exitCode, output) = RunProfile(profile, "127.0.0.1:9", environment);
        Assert.Equal(2, exitCode);
        Assert.DoesNotContain("created", output, StringComparison.Ordinal);
    }
}
