using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.IntegrationTests.Routing;

/// <summary>
/// The whole call path with real peers: SIPp as the carrier and as the customer's PBX, the edge in-process with
/// real PostgreSQL and Redis. Each test checks what the PBX receives and what the call history records.
/// </summary>
[Collection(EdgeMetricsCollection.Name)]
public sealed class CallRoutingTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private static readonly TimeSpan SippWait = TimeSpan.FromSeconds(40);
    private static int numberSeed = 1000;

    private Task<RoutingEdge> StartEdgeAsync(string carriers, params int[] gatewayPorts) => RoutingEdge.StartAsync(stores, carriers, null, gatewayPorts);

    private Task<RoutingEdge> StartEdgeAsync(string carriers, IReadOnlyDictionary<string, string?>? extra, params int[] gatewayPorts) =>
        RoutingEdge.StartAsync(stores, carriers, extra, gatewayPorts);

    private static string NewNumber() => "7495" + Interlocked.Increment(ref numberSeed).ToString("D7", CultureInfo.InvariantCulture);

    private static Dictionary<string, string> Call(string number) => new() { ["number"] = number, ["caller"] = "79161234567" };

    private static async Task AssertSucceededAsync(Sipp sipp, string who)
    {
        var (exit, errors) = await sipp.WaitAsync(SippWait);
        Assert.True(exit == 0, $"{who} SIPp failed ({exit}): {errors}");
    }

    [Fact]
    public async Task A_carrier_call_reaches_the_pbx_with_the_visit_data_and_is_recorded()
    {
        var pbxPort = FreePort.Udp();
        using var edge = await StartEdgeAsync("127.0.0.1/32", pbxPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", string.Concat("{\"name\": \"ads\", \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000000\"}}, \"replaceable_numbers\": [\"", number, "\"]}"));
        await edge.ApiAsync("project/calltracking/settings", """{"custom_headers": "my-city={city}, my-domain={domain}"}""");
        var visit = (await edge.SiteAsync("/site/visit", """{"marker": "direct_search_1234567_buy glasses", "city": "Moscow", "domain": "shop.example"}""")).GetProperty("visit_id").GetString()!;
        Assert.Equal(number, (await edge.SiteAsync("/site/number", "{\"visit_id\": " + visit + "}")).GetProperty("phone").GetString());

        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string>
        {
            ["x-roistat-phone"] = $"^ *{number}$",
            ["x-roistat"] = $"^ *{visit}$",
            ["x-roistat-marker"] = "^ *direct_search_1234567_buy glasses$",
            ["my-city"] = "^ *Moscow$",
            ["my-domain"] = "^ *shop\\.example$",
            ["X-Carrier-Trace"] = "ct-",
            ["P-Asserted-Identity"] = "79161234567",
        }), remote: null, port: pbxPort);
        using var carrier = Sipp.Start(Scenarios.CarrierCall, edge.SipAddress, keys: Call(number));

        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "PBX");
        var record = await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE");
        Assert.Equal("ANSWER", record.GetProperty("status").GetString());
        Assert.Equal(number, record.GetProperty("callee").GetString());
        Assert.Equal("79161234567", record.GetProperty("caller").GetString());
        Assert.Equal(visit, record.GetProperty("visit_id").GetString());
        Assert.Equal("Moscow", record.GetProperty("visit").GetProperty("city").GetString());
        Assert.InRange(record.GetProperty("answer_duration").GetInt32(), 1, 10);
    }

    [Fact]
    public async Task A_busy_pbx_makes_a_busy_call()
    {
        var pbxPort = FreePort.Udp();
        using var edge = await StartEdgeAsync("127.0.0.1/32", pbxPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", string.Concat("{\"name\": \"busy\", \"replaceable_numbers\": [\"", number, "\"], \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000001\"}}}"));

        using var pbx = Sipp.Start(Scenarios.PbxRejecting(486, "Busy Here"), remote: null, port: pbxPort);
        using var carrier = Sipp.Start(Scenarios.CarrierExpecting(486), edge.SipAddress, keys: Call(number));

        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "PBX");
        Assert.Equal("BUSY", (await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE")).GetProperty("status").GetString());
    }

    /// <summary>The carrier giving up while it rings, by CANCEL or by a BYE in the early dialog: the PBX gets a CANCEL.</summary>
    [Theory]
    [InlineData(nameof(Scenarios.CarrierCancel))]
    [InlineData(nameof(Scenarios.CarrierByeBeforeAnswer))]
    public async Task A_carrier_giving_up_while_it_rings_cancels_the_pbx_leg(string scenario)
    {
        var pbxPort = FreePort.Udp();
        using var edge = await StartEdgeAsync("127.0.0.1/32", pbxPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", string.Concat("{\"name\": \"cancel\", \"replaceable_numbers\": [\"", number, "\"], \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000002\"}}}"));

        using var pbx = Sipp.Start(Scenarios.PbxRingingUntilCancel, remote: null, port: pbxPort);
        using var carrier = Sipp.Start(scenario == nameof(Scenarios.CarrierCancel) ? Scenarios.CarrierCancel : Scenarios.CarrierByeBeforeAnswer, edge.SipAddress, keys: Call(number));

        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "PBX");
        var record = await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE");
        Assert.Equal("CANCEL", record.GetProperty("status").GetString());
        Assert.Equal(0, record.GetProperty("answer_duration").GetInt32());
    }

    [Fact]
    public async Task An_overloaded_gateway_fails_over_to_the_next()
    {
        var firstPort = FreePort.Udp();
        var secondPort = FreePort.Udp();
        using var edge = await StartEdgeAsync("127.0.0.1/32", firstPort, secondPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", string.Concat("{\"name\": \"failover\", \"replaceable_numbers\": [\"", number, "\"], \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000003\"}}}"));

        using var first = Sipp.Start(Scenarios.PbxRejecting(503, "Service Unavailable"), remote: null, port: firstPort);
        using var second = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string> { ["x-roistat-phone"] = number }), remote: null, port: secondPort);
        using var carrier = Sipp.Start(Scenarios.CarrierCall, edge.SipAddress, keys: Call(number));

        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(second, "second gateway");
        await AssertSucceededAsync(first, "first gateway");
        Assert.Equal("ANSWER", (await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_registered_sip_trunk_account_receives_the_call_as_its_account()
    {
        using var edge = await StartEdgeAsync("127.0.0.1/32");
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", "{\"name\": \"pbx\", \"options\": {\"redirect\": {\"type\": \"sip_trunk\", \"value\": \"trunk-secret-42\", \"sip_trunk_postfix\": \"7\"}}, \"replaceable_numbers\": [\"" + number + "\"]}");
        await edge.ApiAsync("project/calltracking/settings", """{"send_trunk_address": 1}""");
        var account = $"{edge.Project}_7";
        var pbxPort = FreePort.Udp();

        using (var wrong = Sipp.Start(Scenarios.PbxRegistering(account, "wrong-password"), edge.SipAddress, port: pbxPort, timeout: TimeSpan.FromSeconds(5)))
        {
            Assert.NotEqual(0, (await wrong.WaitAsync(SippWait)).ExitCode);
        }

        using (var register = Sipp.Start(Scenarios.PbxRegistering(account, "trunk-secret-42"), edge.SipAddress, port: pbxPort))
        {
            await AssertSucceededAsync(register, "registering PBX");
        }

        Assert.True(await edge.App.Services.GetRequiredService<Calltracking.Edge.Host.Registrations.RegistrationGauges>().ReadNowAsync() >= 1, "the binding counts in edge_sip_registrations_active");

        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string> { ["x-roistat-phone"] = number, ["To"] = account }), remote: null, port: pbxPort);
        using var carrier = Sipp.Start(Scenarios.CarrierCall, edge.SipAddress, keys: Call(number));

        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "PBX");
        Assert.Equal("ANSWER", (await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Shutdown_hangs_up_calls_in_progress_and_loses_no_record()
    {
        var record = await RecordOfCallCutByShutdownAsync(
            "74990000009", number => Scenarios.PbxAnswering(new Dictionary<string, string> { ["x-roistat-phone"] = number }), Scenarios.CarrierCallEndedByEdge,
            stopWhen: router => router.AnsweredCalls > 0);
        Assert.Equal("ANSWER", record.Status);
    }

    [Fact]
    public async Task Shutdown_ends_a_ringing_call_with_503_to_the_carrier_and_cancel_to_the_target()
    {
        var record = await RecordOfCallCutByShutdownAsync(
            "74990000010", _ => Scenarios.PbxRingingUntilCancelNoAck, Scenarios.CarrierExpecting(503),
            stopWhen: router => router.ActiveCalls > 0);
        Assert.Equal("CONGESTION", record.Status);
    }

    /// <summary>
    /// One call through an edge with its own spool, the edge stopped (1 s drain) once <paramref name="stopWhen"/> holds;
    /// both SIPp peers must see their scenario through. Returns the call's record as the next start with the same spool
    /// stores it (whatever the stopped edge had not stored yet).
    /// </summary>
    private async Task<Calltracking.Edge.Recording.Calls.CallRow> RecordOfCallCutByShutdownAsync(
        string target, Func<string, string> pbxScenario, string carrierScenario, Func<Calltracking.Edge.Sip.Routing.CallRouter, bool> stopWhen)
    {
        var pbxPort = FreePort.Udp();
        var spool = Directory.CreateTempSubdirectory("edge-drain-spool").FullName;
        var edge = await StartEdgeAsync("127.0.0.1/32", new Dictionary<string, string?> { ["Routing:DrainTimeoutSeconds"] = "1", ["CallHistory:SpoolDirectory"] = spool }, pbxPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", "{\"name\": \"drain\", \"replaceable_numbers\": [\"" + number + "\"], \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"" + target + "\"}}}");
        using var pbx = Sipp.Start(pbxScenario(number), remote: null, port: pbxPort);
        using var carrier = Sipp.Start(carrierScenario, edge.SipAddress, keys: Call(number));
        var router = edge.App.Services.GetRequiredService<Calltracking.Edge.Sip.Routing.CallRouter>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!stopWhen(router) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var project = edge.Project;
        edge.Dispose();

        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "PBX");
        using var restarted = new EdgeAppFactory(stores, new Dictionary<string, string?> { ["CallHistory:SpoolDirectory"] = spool });
        var calls = restarted.Services.GetRequiredService<Calltracking.Edge.Recording.Calls.CallRecordStore>();
        var query = Calltracking.Shared.Filters.ListQuery.Parse(null, Calltracking.Shared.Filters.FilterParser.For(), "c.started_at DESC");
        var ended = DateTime.UtcNow.AddSeconds(10);
        IReadOnlyList<Calltracking.Edge.Recording.Calls.CallRow> rows = [];
        while (DateTime.UtcNow < ended)
        {
            rows = (await calls.ListAsync(project, query, CancellationToken.None)).Rows;
            if (rows.Count == 1 && rows[0].Status != "ACTIVE")
            {
                break;
            }

            await Task.Delay(100);
        }

        return Assert.Single(rows);
    }

    [Fact]
    public async Task An_account_registered_through_one_edge_receives_calls_arriving_at_another()
    {
        using var registrarEdge = await StartEdgeAsync("127.0.0.1/32", new Dictionary<string, string?> { ["Routing:RegistrarSecret"] = "fleet-secret-0123456789" });
        var number = NewNumber();
        await registrarEdge.ApiAsync("project/calltracking/script/create", "{\"name\": \"pbx\", \"options\": {\"redirect\": {\"type\": \"sip_trunk\", \"value\": \"trunk-secret-77\", \"sip_trunk_postfix\": \"9\"}}, \"replaceable_numbers\": [\"" + number + "\"]}");
        var pbxPort = FreePort.Udp();
        using (var register = Sipp.Start(Scenarios.PbxRegistering($"{registrarEdge.Project}_9", "trunk-secret-77"), registrarEdge.SipAddress, port: pbxPort))
        {
            await AssertSucceededAsync(register, "registering PBX");
        }

        // A second edge instance on the same PostgreSQL and Redis takes the carrier's call.
        using var otherEdge = new EdgeAppFactory(stores, new Dictionary<string, string?>
        {
            ["Routing:Carriers:0:Cidr"] = "127.0.0.1/32",
            ["Routing:RegistrarSecret"] = "fleet-secret-0123456789",
        });
        _ = otherEdge.CreateClient();
        var otherAddress = $"127.0.0.1:{otherEdge.Services.GetRequiredService<SipStack>().UdpEndPoint!.Port.ToString(CultureInfo.InvariantCulture)}";

        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string> { ["x-roistat-phone"] = number }), remote: null, port: pbxPort);
        using var carrier = Sipp.Start(Scenarios.CarrierCall, otherAddress, keys: Call(number));

        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "PBX");
    }

    [Fact]
    public async Task With_redis_stopped_mid_test_calls_are_still_routed_without_attribution()
    {
        var redis = RedisServer.Start();
        var pbxPort = FreePort.Udp();
        using var edge = await StartEdgeAsync("127.0.0.1/32", new Dictionary<string, string?> { ["Redis:Configuration"] = redis.Configuration + ",syncTimeout=300" }, pbxPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", "{\"name\": \"ads\", \"replaceable_numbers\": [\"" + number + "\"], \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000010\"}}}");
        var visit = (await edge.SiteAsync("/site/visit", """{"marker": "direct"}""")).GetProperty("visit_id").GetString()!;
        Assert.Equal(number, (await edge.SiteAsync("/site/number", "{\"visit_id\": " + visit + "}")).GetProperty("phone").GetString());

        redis.Dispose();

        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string> { ["x-roistat-phone"] = number }), remote: null, port: pbxPort);
        using var carrier = Sipp.Start(Scenarios.CarrierCall, edge.SipAddress, keys: Call(number));
        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "PBX");
        var record = await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE");
        Assert.Equal("ANSWER", record.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, record.GetProperty("visit_id").ValueKind);

        // The failed attribution is what the Redis alert (edge_redis_operations_total, result not ok) sees.
        var metrics = await edge.Http.GetStringAsync("/metrics");
        Assert.Matches(new System.Text.RegularExpressions.Regex("^edge_redis_operations_total\\{[^}]*operation=\"resolve\"[^}]*result=\"(error|timeout)\"[^}]*\\} [1-9]", System.Text.RegularExpressions.RegexOptions.Multiline), metrics);
        Assert.Matches(new System.Text.RegularExpressions.Regex("^edge_attribution_total\\{outcome=\"unavailable\"\\} [1-9]", System.Text.RegularExpressions.RegexOptions.Multiline), metrics);
    }

    /// <summary>
    /// An INVITE that waited in the receive queue past <c>Routing:MaxQueueDelayMilliseconds</c> is refused with 503 at
    /// once (no 100, no routing); the same INVITE without the wait is routed (here to 404: the number is no pool's).
    /// The wait is handed to the stack as the UDP transport hands it over from the kernel's stamp.
    /// </summary>
    [Fact]
    public async Task An_invite_that_queued_too_long_is_refused_with_503_at_once()
    {
        using var edge = await StartEdgeAsync("127.0.0.1/32", new Dictionary<string, string?> { ["Routing:MaxQueueDelayMilliseconds"] = "100" });
        var stack = edge.App.Services.GetRequiredService<Calltracking.Edge.Sip.Transactions.SipStack>();
        using var carrier = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        carrier.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var from = (System.Net.IPEndPoint)carrier.LocalEndPoint!;
        string Invite(string id) => $"INVITE sip:74990000999@{edge.SipAddress} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{from.Port};branch=z9hG4bK{id};rport\r\nMax-Forwards: 70\r\nFrom: <sip:79161234567@127.0.0.1>;tag={id}\r\nTo: <sip:74990000999@127.0.0.1>\r\nCall-ID: {id}@carrier\r\nCSeq: 1 INVITE\r\nContact: <sip:carrier@127.0.0.1:{from.Port}>\r\nContent-Length: 0\r\n\r\n";
        string Receive()
        {
            var buffer = new byte[65536];
            carrier.ReceiveTimeout = 5000;
            return Encoding.ASCII.GetString(buffer, 0, carrier.Receive(buffer));
        }

        var source = new Calltracking.Edge.Sip.Transport.SipEndPoint(Calltracking.Edge.Sip.Transport.SipTransportKind.Udp, from);
        stack.OnMessage(Encoding.ASCII.GetBytes(Invite("late1")), source, datagram: true, queued: TimeSpan.FromMilliseconds(400));
        var refused = Receive();
        Assert.StartsWith("SIP/2.0 503 ", refused, StringComparison.Ordinal);
        Assert.Contains("Retry-After: 1\r\n", refused, StringComparison.Ordinal);
        Assert.Contains("Call-ID: late1@carrier", refused, StringComparison.Ordinal);

        stack.OnMessage(Encoding.ASCII.GetBytes(Invite("ontime1")), source, datagram: true, queued: TimeSpan.FromMilliseconds(20));
        Assert.StartsWith("SIP/2.0 100 ", Receive(), StringComparison.Ordinal);
        Assert.StartsWith("SIP/2.0 404 ", Receive(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A carrier configured with <c>DialedNumberFrom = To</c> (its Request-URI names its trunk) is routed by the To
    /// user; a carrier without it by the Request-URI user. The number is a disabled script's, so finding it answers 480
    /// and missing it 404.
    /// </summary>
    [Fact]
    public async Task A_carrier_that_puts_the_dialed_number_in_To_is_routed_by_To()
    {
        using var byTo = await StartEdgeAsync("127.0.0.1/32", new Dictionary<string, string?> { ["Routing:Carriers:0:DialedNumberFrom"] = "To" });
        using var byRequestUri = await StartEdgeAsync("127.0.0.1/32");
        foreach (var (edge, expected) in new[] { (byTo, "480"), (byRequestUri, "404") })
        {
            var number = NewNumber();
            await edge.ApiAsync("project/calltracking/script/create", string.Concat("{\"name\": \"off\", \"is_enabled\": 0, \"replaceable_numbers\": [\"", number, "\"]}"));
            using var carrier = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp) { ReceiveTimeout = 5000 };
            carrier.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            var port = ((System.Net.IPEndPoint)carrier.LocalEndPoint!).Port;
            var id = "to" + number;
            var invite = $"INVITE sip:trunk7@{edge.SipAddress} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{id};rport\r\nMax-Forwards: 70\r\nFrom: <sip:79161234567@127.0.0.1>;tag={id}\r\nTo: <sip:{number}@127.0.0.1>\r\nCall-ID: {id}@carrier\r\nCSeq: 1 INVITE\r\nContact: <sip:carrier@127.0.0.1:{port}>\r\nContent-Length: 0\r\n\r\n";
            var parts = edge.SipAddress.Split(':');
            carrier.SendTo(Encoding.ASCII.GetBytes(invite), new System.Net.IPEndPoint(System.Net.IPAddress.Parse(parts[0]), int.Parse(parts[1], CultureInfo.InvariantCulture)));
            var buffer = new byte[65536];
            string response;
            do
            {
                response = Encoding.ASCII.GetString(buffer, 0, carrier.Receive(buffer));
            }
            while (response.StartsWith("SIP/2.0 100 ", StringComparison.Ordinal));

            Assert.StartsWith($"SIP/2.0 {expected} ", response, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_ring_timeout_cancels_the_pbx_and_answers_the_carrier_408()
    {
        var pbxPort = FreePort.Udp();
        using var edge = await StartEdgeAsync("127.0.0.1/32", pbxPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", "{\"name\": \"slow\", \"replaceable_numbers\": [\"" + number + "\"], \"options\": {\"ring_timeout_seconds\": 5, \"redirect\": {\"type\": \"phone\", \"value\": \"74990000011\"}}}");

        using var pbx = Sipp.Start(Scenarios.PbxRingingUntilCancel, remote: null, port: pbxPort);
        using var carrier = Sipp.Start(Scenarios.CarrierExpecting(408), edge.SipAddress, keys: Call(number));

        await AssertSucceededAsync(carrier, "carrier");
        await AssertSucceededAsync(pbx, "PBX");
        Assert.Equal("NOANSWER", (await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_bye_from_the_pbx_ends_the_carriers_leg_too()
    {
        var pbxPort = FreePort.Udp();
        using var edge = await StartEdgeAsync("127.0.0.1/32", pbxPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", "{\"name\": \"hangup\", \"replaceable_numbers\": [\"" + number + "\"], \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000012\"}}}");

        using var pbx = Sipp.Start(Scenarios.PbxAnsweringThenHangingUp, remote: null, port: pbxPort);
        using var carrier = Sipp.Start(Scenarios.CarrierCallEndedByEdge, edge.SipAddress, keys: Call(number));

        await AssertSucceededAsync(pbx, "PBX");
        await AssertSucceededAsync(carrier, "carrier");
        var record = await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE");
        Assert.Equal("ANSWER", record.GetProperty("status").GetString());
        Assert.InRange(record.GetProperty("answer_duration").GetInt32(), 0, 5);
    }

    [Fact]
    public async Task A_call_past_the_maximum_length_is_ended_with_bye_to_both_legs()
    {
        var pbxPort = FreePort.Udp();
        using var edge = await StartEdgeAsync("127.0.0.1/32", new Dictionary<string, string?> { ["Routing:MaxCallSeconds"] = "1" }, pbxPort);
        var number = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", "{\"name\": \"long\", \"replaceable_numbers\": [\"" + number + "\"], \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000013\"}}}");

        // Neither side hangs up: each waits for the edge's BYE.
        using var pbx = Sipp.Start(Scenarios.PbxAnswering(new Dictionary<string, string>()), remote: null, port: pbxPort);
        using var carrier = Sipp.Start(Scenarios.CarrierCallEndedByEdge, edge.SipAddress, keys: Call(number));

        await AssertSucceededAsync(pbx, "PBX");
        await AssertSucceededAsync(carrier, "carrier");
        var record = await edge.CallAsync(c => c.GetProperty("status").GetString() != "ACTIVE");
        Assert.Equal("ANSWER", record.GetProperty("status").GetString());
        Assert.InRange(record.GetProperty("answer_duration").GetInt32(), 1, 3);
    }

    [Fact]
    public async Task An_untrusted_source_is_forbidden()
    {
        using var edge = await StartEdgeAsync("10.99.0.0/16", FreePort.Udp());
        using var carrier = Sipp.Start(Scenarios.CarrierExpecting(403), edge.SipAddress, keys: Call(NewNumber()));
        await AssertSucceededAsync(carrier, "carrier");
    }

    [Fact]
    public async Task An_unknown_number_is_not_found_and_a_disabled_script_unavailable()
    {
        using var edge = await StartEdgeAsync("127.0.0.1/32", FreePort.Udp());
        var disabled = NewNumber();
        await edge.ApiAsync("project/calltracking/script/create", string.Concat("{\"name\": \"off\", \"is_enabled\": 0, \"replaceable_numbers\": [\"", disabled, "\"]}"));

        using (var unknown = Sipp.Start(Scenarios.CarrierExpecting(404), edge.SipAddress, keys: Call(NewNumber())))
        {
            await AssertSucceededAsync(unknown, "carrier (unknown number)");
        }

        using var off = Sipp.Start(Scenarios.CarrierExpecting(480), edge.SipAddress, keys: Call(disabled));
        await AssertSucceededAsync(off, "carrier (disabled script)");
    }
}
