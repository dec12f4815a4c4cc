using System.Diagnostics;
using System.Globalization;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Benchmarks.Leases;

/// <summary>
/// Number requests from Debian's <c>wrk</c> (one thread, C and epoll), so the load generator takes a small share of
/// the two cores the edge and Redis need. A Lua script sends each request with another visit's body and, when wrk is
/// done, prints one line with the counts, the latency percentiles and wrk's own CPU time read from <c>/proc/self/stat</c>.
/// </summary>
internal sealed class WrkLoad : IDisposable
{
    // Requests are formatted once in init(); request() only picks one. The stride spreads consecutive requests over visits.
    private const string Script = """
        local prepared, count, i = {}, 0, 0

        function init(args)
          for body in io.lines(args[1]) do
            count = count + 1
            prepared[count] = wrk.format('POST', nil, { ['Content-Type'] = 'application/json' }, body)
          end
        end

        function request()
          i = i + 1
          return prepared[(i * 7919) % count + 1]
        end

        function done(summary, latency, requests)
          local stat = io.open('/proc/self/stat'):read('*l')
          local fields = {}
          for field in stat:match('%) (.*)'):gmatch('%S+') do fields[#fields + 1] = field end
          -- After the command name, field 1 is stat's field 3: utime (14) and stime (15) are the 12th and 13th.
          io.write(string.format('wrk-result %d %d %d %d %d %d %d\n',
            summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
            summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
            tonumber(fields[12]) + tonumber(fields[13])))
        end
        """;

    /// <summary>Linux reports process times in USER_HZ ticks, 100 per second on every architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    private readonly string directory;
    private readonly string binary;

    private WrkLoad(string binary, string directory)
    {
        this.binary = binary;
        this.directory = directory;
    }

    /// <summary>wrk ready with these bodies, or null (with the reason printed) when wrk is not installed.</summary>
    public static WrkLoad? TryCreate(IEnumerable<string> bodies)
    {
        string binary;
        try
        {
            binary = ExternalTool.Require("wrk", "wrk", "/usr/bin/wrk");
        }
        catch (InvalidOperationException)
        {
            Console.WriteLine("wrk rows skipped: wrk is not installed (install it with: sudo apt-get install -y wrk)");
            return null;
        }

        var directory = Directory.CreateTempSubdirectory("edge-wrk").FullName;
        File.WriteAllText(Path.Combine(directory, "number.lua"), Script);
        File.WriteAllLines(Path.Combine(directory, "bodies.txt"), bodies);
        return new WrkLoad(binary, directory);
    }

    /// <summary>Runs wrk closed loop with <paramref name="connections"/> connections on one thread.</summary>
    public WrkResult Run(Uri url, int connections, int seconds)
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "-t", "1", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", seconds.ToString(CultureInfo.InvariantCulture) + "s",
            "--timeout", "5s", "-s", Path.Combine(directory, "number.lua"), url.ToString(), "--", Path.Combine(directory, "bodies.txt"),
        })
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start wrk");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("wrk-result ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result (exit {process.ExitCode}): {output} {error.Result}");
        var n = line.Split(' ')[1..].Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var elapsed = n[1] / 1e6;
        return new WrkResult(n[0], elapsed, n[2] / 1000.0, n[3] / 1000.0, n[4], n[5], n[6] / TicksPerSecond / elapsed);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}

/// <summary>One wrk run: latencies in ms; errors are socket errors and timeouts; CPU in cores (CPU seconds per second).</summary>
internal sealed record WrkResult(long Requests, double Seconds, double P50Ms, double P99Ms, long Non2xx, long Errors, double Cores)
{
    public double Rate => Requests / Seconds;

    public override string ToString() => FormattableString.Invariant(
        $"{Rate:F0}/s, p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms ({Requests} requests, {Non2xx} not 2xx, {Errors} socket errors; load generator used {Cores:F2} cores)");
}
