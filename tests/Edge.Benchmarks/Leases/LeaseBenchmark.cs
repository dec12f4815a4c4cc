using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.NumberPool;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.NumberPool.Redis;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Calltracking.Edge.Benchmarks.Leases;

/// <summary>
/// The number pool under load, in one run: (1) <c>/site/number</c> through HTTP against the edge as its own process
/// (PostgreSQL and Redis on loopback, the runtime settings of deploy/), closed loop with many connections, from
/// <c>wrk</c> (the lean generator, when installed) and from .NET's HttpClient in this process: requests/s, p50/p99, and
/// the CPU each of the generator, the edge and Redis used; (2) the acquire Lua from our client against
/// <c>redis-benchmark</c> running the same EVALSHA with the same concurrency (the ratio); (3) resolve() at a paced
/// 2,000 calls/s, open loop (see <see cref="PacedCalls"/>), once the machine is quiet and the code warm, in three rounds
/// each with its floors (an empty script on the same connection at the same pace, and the same from a C program, see
/// <see cref="NativeFloor"/>): p50/p99 from the call to the answer and from the call's scheduled instant.
/// Run: <c>dotnet run -c Release --project tests/Edge.Benchmarks -- lease [seconds] [parts]</c>, parts a comma-separated
/// subset of <c>wrk,client,lua,resolve</c> (all when absent).
/// </summary>
internal static class LeaseBenchmark
{
    public static async Task RunAsync(int seconds)
    {
        var arguments = Environment.GetCommandLineArgs();
        var parts = arguments.Length > 3 ? arguments[3].Split(',') : ["wrk", "client", "lua", "resolve"];
        using var redisServer = RedisServer.Start();
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("leasebench");
        var data = Directory.CreateTempSubdirectory("edge-lease-bench").FullName;
        using var edge = await EdgeProcess.StartAsync(new Dictionary<string, string>
        {
            ["Postgres__ConnectionString"] = connectionString,
            ["Redis__Configuration"] = redisServer.Configuration,
            ["Sip__UdpListen"] = $"127.0.0.1:{FreePort.Udp()}",
            ["Sip__TcpListen"] = string.Empty,
            ["NumberPool__SiteRequestsPerSecondPerIp"] = "100000",
            ["NumberPool__SiteBurstPerIp"] = "1000000",
            ["CallHistory__SpoolDirectory"] = Path.Combine(data, "spool"),
            ["Recording__CaptureDirectory"] = Path.Combine(data, "captures"),
            ["Recording__Directory"] = Path.Combine(data, "recordings"),
            ["Logging__LogLevel__Default"] = "Warning",

            // As deploy/local/start.sh, deploy/systemd and deploy/compose start the edge: an 8 MiB young generation.
            ["DOTNET_GCgen0size"] = Environment.GetEnvironmentVariable("LEASE_GEN0") ?? "0x800000",
        });
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var (project, key) = await new ProjectStore(dataSource).CreateAsync("leasebench", CancellationToken.None);
        var numbers = Enumerable.Range(0, 1000).Select(i => "7800" + i.ToString("D7", CultureInfo.InvariantCulture)).ToArray();

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = edge.BaseAddress };
        using (var create = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/project/calltracking/script/create?project={project}")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { name = "bench", options = new { exhausted_policy = "share" }, replaceable_numbers = numbers }), Encoding.UTF8, "application/json"),
        })
        {
            create.Headers.Add("Api-key", key);
            using var created = await http.SendAsync(create);
            created.EnsureSuccessStatusCode();
        }

        // Visits as the site script makes them; then number requests (a page view each) from those visits.
        var visits = new string[2000];
        for (var i = 0; i < visits.Length; i++)
        {
            using var response = await http.PostAsync($"/site/visit?project={project}", new StringContent("{\"marker\":\"bench\"}", Encoding.UTF8, "application/json"));
            visits[i] = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("visit_id").GetString()!;
        }

        var bodies = visits.Select(v => $"{{\"visit_id\":{v}}}").ToArray();
        var bodyBytes = bodies.Select(Encoding.UTF8.GetBytes).ToArray();
        var path = $"/site/number?project={project}";
        using var redis = await ConnectionMultiplexer.ConnectAsync(redisServer.Configuration + ",allowAdmin=true");
        var redisCpu = () => RedisCpu(redis);
        await ClosedLoopAsync("warm-up", 64, TimeSpan.FromSeconds(3), async i =>
        {
            using var content = new ByteArrayContent(bodyBytes[i % bodyBytes.Length]);
            using var response = await http.PostAsync(path, content);
            response.EnsureSuccessStatusCode();
        });

        // First page views (the answer carries the script's ~14 KB of numbers), then later ones: the counter names the
        // numbers_version it keeps, and the answer leaves the numbers out.
        string version;
        using (var probe = await http.PostAsync(path, new ByteArrayContent(bodyBytes[0])))
        {
            version = (await probe.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("numbers_version").GetString()!;
        }

        foreach (var (views, viewBodies) in new[] { ("first page views", bodies), ("later page views", visits.Select(v => $"{{\"visit_id\":{v},\"numbers_version\":\"{version}\"}}").ToArray()) })
        {
            using var wrk = parts.Contains("wrk") ? WrkLoad.TryCreate(viewBodies) : null;
            foreach (var connections in wrk is null ? [] : new[] { 32, 64, 128 })
            {
                var usage = await ServerUsage.StartAsync(edge, http, redisCpu);
                var result = wrk!.Run(new Uri(edge.BaseAddress, path), connections, seconds);
                Console.WriteLine($"HTTP /site/number, {views}, wrk, {connections} connections: {result}; {await usage.StopAsync(result.Requests)}");
            }
        }

        foreach (var concurrency in parts.Contains("client") ? new[] { 32, 128 } : [])
        {
            var usage = await ServerUsage.StartAsync(edge, http, redisCpu);
            var requests = 0L;
            await ClosedLoopAsync($"HTTP /site/number, HttpClient, {concurrency} connections", concurrency, TimeSpan.FromSeconds(seconds), async i =>
            {
                using var content = new ByteArrayContent(bodyBytes[(int)((uint)i * 7919L % bodyBytes.Length)]);
                using var response = await http.PostAsync(path, content);
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref requests);
            }, () => usage.StopAsync(Interlocked.Read(ref requests)));
        }

        // The acquire Lua, our client against redis-benchmark, same script, same arguments shape, 50 connections each.
        // The edge's way (the hot scripts on the pipelined connection) and the general client's, side by side.
        using var pipe = new RedisScriptConnection(RedisScriptEndpoint.FromConfiguration(redisServer.Configuration)!, Microsoft.Extensions.Logging.Abstractions.NullLogger<RedisScriptConnection>.Instance);
        var leases = new LeaseStore(redis, new CatalogueStore(dataSource), Options.Create(new PoolOptions()), TimeProvider.System, pipe);
        var leasesOnMultiplexer = new LeaseStore(redis, new CatalogueStore(dataSource), Options.Create(new PoolOptions()), TimeProvider.System);
        var script = (await new CatalogueStore(dataSource).ListScriptsAsync(project, false, CancellationToken.None)).Single();
        if (parts.Contains("lua"))
        {
            var ours = await ClosedLoopAsync("Lua acquire, pipelined connection, 50 concurrent", 50, TimeSpan.FromSeconds(seconds), i => leases.AcquireAsync(script, visits[(int)((uint)i * 7919L % visits.Length)]));
            var general = await ClosedLoopAsync("Lua acquire, StackExchange.Redis, 50 concurrent", 50, TimeSpan.FromSeconds(seconds), i => leasesOnMultiplexer.AcquireAsync(script, visits[(int)((uint)i * 7919L % visits.Length)]));
            var sha = (byte[])(await redis.GetServer(redis.GetEndPoints()[0]).ScriptLoadAsync(LeaseScripts.Acquire))!;
            var theirs = RedisBenchmark(redisServer, Convert.ToHexStringLower(sha), project, script.Id, visits[0], seconds);
            Console.WriteLine(FormattableString.Invariant($"Lua acquire: pipelined {ours:F0}/s, StackExchange.Redis {general:F0}/s, redis-benchmark {theirs:F0}/s; ratio to redis-benchmark {ours / theirs:F2} (StackExchange.Redis {general / theirs:F2})"));
        }

        // resolve() paced at 2,000/s for the given seconds.
        if (parts.Contains("resolve"))
        {
            if (!parts.Contains("wrk") && !parts.Contains("client") && !parts.Contains("lua"))
            {
                // Alone, resolve() would find no leases: every visit takes a number first, as the HTTP load leaves it.
                foreach (var visit in visits)
                {
                    await leases.AcquireAsync(script, visit);
                }
            }

            // What the HTTP load left behind (visits written to PostgreSQL, the edge's background work) would fall on
            // the first runs only: wait until the machine is quiet, as it is between bursts of calls.
            Console.WriteLine(await SettleAsync());

            // Rounds of three, back to back so machine noise falls on all of them: the floor (the same connection,
            // pacer and rate running a script that does nothing), then resolve() on each client.
            var nothing = new HashedLuaScript("return 1");
            var native = NativeFloor.TryBuild();

            // Two seconds of each first, not counted: what the process runs in a round is compiled and tiered up.
            await PacedCalls.RunAsync(2000, 2, i => pipe.EvalAsync(nothing, "k"));
            await PacedCalls.RunAsync(2000, 2, i => leases.ResolveAsync(project, numbers[i % numbers.Length], DateTimeOffset.UtcNow, "warm"));
            await PacedCalls.RunAsync(2000, 2, i => leasesOnMultiplexer.ResolveAsync(project, numbers[i % numbers.Length], DateTimeOffset.UtcNow, "warm"));

            var rounds = new List<string>();
            for (var round = 1; round <= 3; round++)
            {
                var c = native?.Run(redisServer.Endpoint, 2000, seconds);
                Console.WriteLine($"round {round} floor without .NET: " + (c?.Line ?? "no C compiler (apt-get install -y gcc)"));
                var floor = await PacedCalls.RunAsync(2000, seconds, i => pipe.EvalAsync(nothing, "k"));
                Console.WriteLine(FormattableString.Invariant($"round {round} floor: an empty script on the pipelined connection, paced at 2000/s: p50 {Percentile(floor.Service, 0.50):F3} ms, p99 {Percentile(floor.Service, 0.99):F3} ms, p99.9 {Percentile(floor.Service, 0.999):F3} ms (pacer late by p99 {Percentile(floor.Lateness, 0.99):F3} ms)"));
                var pipelined = await PacedResolveAsync($"round {round}", "pipelined", leases, project, numbers, 2000, seconds);
                var general = await PacedResolveAsync($"round {round}", "StackExchange.Redis", leasesOnMultiplexer, project, numbers, 2000, seconds);
                rounds.Add(FormattableString.Invariant($"{Percentile(pipelined.Service, 0.99):F3} / {Percentile(general.Service, 0.99):F3} / {Percentile(floor.Service, 0.99):F3} / {c?.P99 ?? double.NaN:F3}"));
            }

            Console.WriteLine("resolve() p99 ms per round, pipelined / StackExchange.Redis / empty script / without .NET: " + string.Join("; ", rounds));
            Console.WriteLine("floor: " + RedisBenchmarkLatency(redisServer, seconds));
        }

        Directory.Delete(data, recursive: true);
    }

    private static async Task<double> ClosedLoopAsync(string name, int concurrency, TimeSpan duration, Func<int, Task> operation, Func<Task<string>>? also = null)
    {
        var latencies = new List<double>[concurrency];
        var counter = 0;
        var stopwatch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var mine = latencies[w] = [];
            while (stopwatch.Elapsed < duration)
            {
                var i = Interlocked.Increment(ref counter);
                var started = Stopwatch.GetTimestamp();
                await operation(i);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var rate = all.Length / elapsed;
        var loadCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / elapsed;
        Console.WriteLine(FormattableString.Invariant($"{name}: {rate:F0}/s, p50 {Percentile(all, 0.50):F2} ms, p99 {Percentile(all, 0.99):F2} ms ({all.Length} requests; load generator used {loadCpu:F2} cores)") + (also is null ? string.Empty : "; " + await also()));
        return rate;
    }

    private static double RedisBenchmark(RedisServer server, string sha, long project, long scriptId, string visit, int seconds)
    {
        var (host, port) = (server.Endpoint.Split(':')[0], server.Endpoint.Split(':')[1]);
        var requests = 30_000 * seconds;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var psi = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "-h", host, "-p", port, "-c", "50", "-n", requests.ToString(CultureInfo.InvariantCulture), "--dbnum", server.Database.ToString(CultureInfo.InvariantCulture), "-q",
            "EVALSHA", sha, "1", LeaseStore.Prefix(project), scriptId.ToString(CultureInfo.InvariantCulture), visit, now, "150000", "86400000", "share", "86400000",
        })
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Console.WriteLine("redis-benchmark: " + output.Split('\r', '\n').LastOrDefault(l => l.Contains("requests per second", StringComparison.Ordinal))?.Trim());
        var line = output.Split('\r', '\n').Last(l => l.Contains("requests per second", StringComparison.Ordinal));
        var number = line[..line.IndexOf(" requests per second", StringComparison.Ordinal)].Split(' ')[^1];
        return double.Parse(number, CultureInfo.InvariantCulture);
    }

    /// <summary>redis-benchmark's PING round trips from one connection, one at a time: its latency summary line.</summary>
    private static string RedisBenchmarkLatency(RedisServer server, int seconds)
    {
        var (host, port) = (server.Endpoint.Split(':')[0], server.Endpoint.Split(':')[1]);
        var psi = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-h", host, "-p", port, "-c", "1", "-n", (2000 * seconds).ToString(CultureInfo.InvariantCulture), "-t", "ping_mbulk" })
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi)!;
        var lines = process.StandardOutput.ReadToEnd().Split('\r', '\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        process.WaitForExit();
        var header = lines.FindIndex(l => l.StartsWith("avg", StringComparison.Ordinal));
        return header >= 0 && header + 1 < lines.Count
            ? $"redis-benchmark PING, one connection, closed loop (ms): {lines[header]} / {lines[header + 1]}"
            : "redis-benchmark PING: no latency summary";
    }

    private static async Task<PacedCalls.Result> PacedResolveAsync(string label, string client, LeaseStore leases, long project, string[] numbers, int perSecond, int seconds)
    {
        var callers = Enumerable.Range(0, perSecond * seconds).Select(i => "7916" + i.ToString("D7", CultureInfo.InvariantCulture)).ToArray();
        var r = await PacedCalls.RunAsync(perSecond, seconds, i => leases.ResolveAsync(project, numbers[i % numbers.Length], DateTimeOffset.UtcNow, callers[i]));
        Console.WriteLine(FormattableString.Invariant($"{label} resolve() via {client}, paced at {perSecond}/s: achieved {r.Service.Length / r.Seconds:F0}/s; from the call to the answer p50 {Percentile(r.Service, 0.50):F3} ms, p99 {Percentile(r.Service, 0.99):F3} ms, p99.9 {Percentile(r.Service, 0.999):F3} ms, max {r.Service[^1]:F3} ms; from the scheduled instant p50 {Percentile(r.FromSchedule, 0.50):F3} ms, p99 {Percentile(r.FromSchedule, 0.99):F3} ms (pacer late by p99 {Percentile(r.Lateness, 0.99):F3} ms); {r.BytesPerCall:F0} B allocated per call (with the pacer's own); GCs in this process gen0/1/2 {r.Gen0}/{r.Gen1}/{r.Gen2}, paused {r.GcPauses.TotalMilliseconds:F1} ms in all"));
        return r;
    }

    /// <summary>Waits (up to a minute) until both cores are at least 90 % idle over a second; says how long that took.</summary>
    private static async Task<string> SettleAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var idle = 0.0;
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(1))
        {
            var (idle0, total0) = CpuTicks();
            await Task.Delay(1000);
            var (idle1, total1) = CpuTicks();
            idle = (idle1 - idle0) / (double)Math.Max(1, total1 - total0);
            if (idle >= 0.9)
            {
                break;
            }
        }

        return FormattableString.Invariant($"settled: machine {idle * 100:F0} % idle after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s");
    }

    /// <summary>Idle (idle + iowait) and total jiffies of all cores, from <c>/proc/stat</c>.</summary>
    private static (long Idle, long Total) CpuTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        return (fields[3] + fields[4], fields.Sum());
    }

    private static double RedisCpu(ConnectionMultiplexer redis)
    {
        var cpu = redis.GetServer(redis.GetEndPoints()[0]).Info("cpu").SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return double.Parse(cpu["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(cpu["used_cpu_sys"], CultureInfo.InvariantCulture);
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
