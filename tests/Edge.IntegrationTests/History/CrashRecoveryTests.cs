using System.Globalization;
using System.Net;
using System.Text;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.IntegrationTests.Routing;
using Calltracking.Edge.Testing;
using Dapper;
using Npgsql;

namespace Calltracking.Edge.IntegrationTests.History;

/// <summary>
/// The edge as a real process, killed with SIGKILL while a call's record sits in the spool because PostgreSQL is
/// unreachable (a TCP relay in front of the real server is cut) and another call is still talking; the next start
/// replays the spool, every call is recorded exactly once, and the call the kill cut is closed.
/// </summary>
public sealed class CrashRecoveryTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    [Fact]
    public async Task A_record_spooled_when_the_process_is_killed_is_stored_once_and_the_call_it_cut_is_closed_after_the_restart()
    {
        var builder = new NpgsqlConnectionStringBuilder(stores.PostgresConnectionString);
        await using var postgres = new TcpRelay(new IPEndPoint(IPAddress.Loopback, builder.Port));
        builder.Port = postgres.Port;
        builder.Timeout = 3;
        builder.CommandTimeout = 5;
        var data = Directory.CreateTempSubdirectory("edge-crash-test").FullName;
        var pbxPort = FreePort.Udp();
        var sipPort = FreePort.Udp();
        var settings = new Dictionary<string, string>
        {
            ["Postgres__ConnectionString"] = builder.ConnectionString,
            ["Redis__Configuration"] = stores.Redis.Configuration,
            ["Sip__UdpListen"] = $"127.0.0.1:{sipPort}",
            ["Sip__TcpListen"] = string.Empty,
            ["Routing__Carriers__0__Cidr"] = "127.0.0.1/32",
            ["Routing__OutboundGateways__0"] = $"127.0.0.1:{pbxPort}",
            ["CallHistory__SpoolDirectory"] = Path.Combine(data, "spool"),
            ["CallHistory__RetrySeconds"] = "1",
            ["Recording__CaptureDirectory"] = Path.Combine(data, "captures"),
            ["Recording__Directory"] = Path.Combine(data, "recordings"),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var (project, key) = await new ProjectStore(stores.DataSource).CreateAsync("crash", CancellationToken.None);
        var number = "74957" + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);

        using (var first = await EdgeProcess.StartAsync(settings))
        {
            using var http = new HttpClient { BaseAddress = first.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/project/calltracking/script/create?project={project}")
            {
                Content = new StringContent("{\"name\": \"ads\", \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000000\"}}, \"replaceable_numbers\": [\"" + number + "\"]}", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Api-key", key);
            using (var created = await http.SendAsync(request))
            {
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            }

            await CallAsync(sipPort, pbxPort, number);
            // The first call wholly stored (its end too) and the spool empty, so the end found in the spool below can
            // only be the second call's: on a loaded machine the first call's end could still be waiting there.
            var spool = Path.Combine(data, "spool");
            await WaitAsync(async () => await CountAsync(project) == 1 && await AnsweredAsync(project) == 1 && !Directory.EnumerateFiles(spool, "calls-*.jsonl").Any(), "the first call's record");

            // PostgreSQL becomes unreachable for this edge: the next call is routed (its route is cached) and spooled.
            postgres.Cut();
            await CallAsync(sipPort, pbxPort, number);
            await WaitAsync(() => Task.FromResult(Directory.EnumerateFiles(spool, "calls-*.jsonl").Any(f => File.ReadAllText(f).Contains("\"kind\":\"ended\"", StringComparison.Ordinal))), "the second call's end in the spool");

            // The drainer's failing statement is what the PostgreSQL alert (edge_postgres_operations_total, result not ok) sees.
            {
                await WaitAsync(
                    async () => System.Text.RegularExpressions.Regex.IsMatch(await http.GetStringAsync("/metrics"), "^edge_postgres_operations_total\\{[^}]*operation=\"apply_segment\"[^}]*result=\"(error|timeout)\"[^}]*\\} [1-9]", System.Text.RegularExpressions.RegexOptions.Multiline),
                    "the failing store in edge_postgres_operations_total");
            }

            // A third call is answered and still talking when the process dies: no end event is ever written for it.
            using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string>()), null, port: pbxPort, extraArgs: ["-mp", FreePort.Udp().ToString(CultureInfo.InvariantCulture)]);
            using var carrier = Sipp.Start(Scenarios.CarrierCallEndedByEdge, $"127.0.0.1:{sipPort}", keys: new Dictionary<string, string> { ["number"] = number, ["caller"] = "79161234567" },
                extraArgs: ["-mp", FreePort.Udp().ToString(CultureInfo.InvariantCulture)]);
            await WaitAsync(() => Task.FromResult(Directory.EnumerateFiles(spool, "calls-*.jsonl").Sum(f => CountOf(File.ReadAllText(f), "\"kind\":\"answered\"")) == 2), "the third call's answer in the spool");
            first.Kill();
        }

        Assert.Equal(1, await CountAsync(project));
        postgres.Restore();
        using (var second = await EdgeProcess.StartAsync(settings))
        {
            // The two ended calls as they ended; the third closed as of its answer, as the edge that relayed it died.
            await WaitAsync(async () => await CountAsync(project) == 3 && await AnsweredAsync(project) == 3, "the three calls recorded and closed after the restart",
                async () => $"calls {await CountAsync(project)}, answered {await AnsweredAsync(project)}, spool [{string.Join(", ", Directory.EnumerateFiles(Path.Combine(data, "spool")).Select(Path.GetFileName))}]; the edge said:\n{second.Output}");
            await Task.Delay(1500); // a second drain pass would show up as a duplicate here
            Assert.Equal(3, await CountAsync(project));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(data, "spool"), "calls-*.jsonl"));
            await using var connection = await stores.DataSource.OpenConnectionAsync();
            var reasons = (await connection.QueryAsync<string?>("SELECT end_reason FROM calls WHERE project_id = @project ORDER BY started_at", new { project })).ToList();
            Assert.Equal(Calltracking.Edge.Recording.Calls.CallRecordStore.InterruptedReason, reasons[2]);
            Assert.DoesNotContain(Calltracking.Edge.Recording.Calls.CallRecordStore.InterruptedReason, reasons.Take(2));
        }

        Directory.Delete(data, recursive: true);
    }

    private static async Task CallAsync(int sipPort, int pbxPort, string number)
    {
        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string>()), null, port: pbxPort, extraArgs: ["-mp", FreePort.Udp().ToString(CultureInfo.InvariantCulture)]);
        using var carrier = Sipp.Start(Scenarios.CarrierCall, $"127.0.0.1:{sipPort}", keys: new Dictionary<string, string> { ["number"] = number, ["caller"] = "79161234567" },
            extraArgs: ["-mp", FreePort.Udp().ToString(CultureInfo.InvariantCulture)]);
        var (carrierExit, carrierErrors) = await carrier.WaitAsync(TimeSpan.FromSeconds(40));
        Assert.True(carrierExit == 0, $"carrier SIPp failed: {carrierErrors}");
        var (pbxExit, pbxErrors) = await pbx.WaitAsync(TimeSpan.FromSeconds(40));
        Assert.True(pbxExit == 0, $"pbx SIPp failed: {pbxErrors}");
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private async Task<int> CountAsync(long project)
    {
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM calls WHERE project_id = @project", new { project });
    }

    private async Task<int> AnsweredAsync(long project)
    {
        await using var connection = await stores.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM calls WHERE project_id = @project AND status = 'ANSWER' AND answered_at IS NOT NULL", new { project });
    }

    /// <summary>Waits up to 60 s (a restart on a loaded 2-core CI machine JITs and drains slowly); the failure says what was seen.</summary>
    private static async Task WaitAsync(Func<Task<bool>> condition, string what, Func<Task<string>>? seen = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"timed out waiting for {what}" + (seen is null ? string.Empty : $": {await seen()}"));
            }

            await Task.Delay(200);
        }
    }
}
