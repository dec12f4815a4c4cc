using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Calltracking.Edge.IntegrationTests.Routing;

/// <summary>
/// An answered call whose session changes mid-call, end to end through the edge with SIPp on both sides: the
/// carrier's re-INVITE reaches the PBX with the new offer and the PBX's answer comes back; the PBX's UPDATE reaches
/// the carrier and the carrier's answer goes back; then BYE. SIPp fails the call when a body does not match, and the
/// message logs (<c>-trace_msg</c>) show what each side received.
/// </summary>
[Collection(EdgeMetricsCollection.Name)]
public sealed class InDialogRelayTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>
{
    private static readonly TimeSpan SippWait = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task A_re_invite_from_the_carrier_and_an_update_from_the_pbx_cross_the_edge_with_their_bodies()
    {
        var pbxPort = FreePort.Udp();
        using var app = await StartEdgeAsync(pbxPort, "74958000001");
        using var pbx = Sipp.Start(InDialogScenarios.Pbx, remote: null, port: pbxPort);
        using var carrier = Sipp.Start(InDialogScenarios.Carrier, EdgeAddress(app), keys: Call("74958000001"));

        var carrierResult = await carrier.WaitAsync(SippWait);
        var pbxResult = await pbx.WaitAsync(SippWait);
        Assert.True(carrierResult.ExitCode == 0, $"carrier SIPp failed ({carrierResult.ExitCode}): {carrierResult.Errors}");
        Assert.True(pbxResult.ExitCode == 0, $"PBX SIPp failed ({pbxResult.ExitCode}): {pbxResult.Errors}");

        var atPbx = SippMessage.Parse(pbx.MessageLog());
        var atCarrier = SippMessage.Parse(carrier.MessageLog());

        // The PBX: the re-INVITE carries the carrier's new offer, in the PBX's dialog (its tag, a higher CSeq).
        var invites = atPbx.Where(m => m.Received && m.StartLine.StartsWith("INVITE ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, invites.Count);
        var reInvite = invites[1];
        Assert.Contains("s=" + InDialogScenarios.CarrierReInviteSession, reInvite.Body, StringComparison.Ordinal);
        // The call is recorded, so media stays on the edge's relay port facing the PBX: the first INVITE's port.
        var relayPort = System.Text.RegularExpressions.Regex.Match(invites[0].Body, @"m=audio (\d+) ").Groups[1].Value;
        Assert.Contains($"m=audio {relayPort} RTP/AVP 0", reInvite.Body, StringComparison.Ordinal);
        Assert.Equal("application/sdp", reInvite.Header("Content-Type"));
        Assert.Equal(invites[0].Header("Call-ID"), reInvite.Header("Call-ID"));
        Assert.Contains(";tag=", reInvite.Header("To"), StringComparison.Ordinal);
        Assert.True(reInvite.CSeqNumber > invites[0].CSeqNumber, $"re-INVITE CSeq {reInvite.CSeqNumber} after {invites[0].CSeqNumber}");

        // The 2xx to the re-INVITE is acknowledged on the PBX's side once, with the re-INVITE's CSeq number.
        var acks = atPbx.Where(m => m.Received && m.StartLine.StartsWith("ACK ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, acks.Count);
        Assert.Equal($"{reInvite.CSeqNumber.ToString(CultureInfo.InvariantCulture)} ACK", acks[1].Header("CSeq"));
        Assert.Equal(reInvite.Header("Call-ID"), acks[1].Header("Call-ID"));

        // The carrier: the 200 to its re-INVITE carries the PBX's answer.
        var reInviteOk = Assert.Single(atCarrier, m => m.Received && m.StartLine.StartsWith("SIP/2.0 200", StringComparison.Ordinal) && m.Header("CSeq") == "2 INVITE");
        Assert.Contains("s=" + InDialogScenarios.PbxReInviteSession, reInviteOk.Body, StringComparison.Ordinal);
        Assert.Equal("application/sdp", reInviteOk.Header("Content-Type"));

        // The carrier: the UPDATE is in the carrier's dialog (its Call-ID, its tag in To) with the PBX's offer.
        var update = Assert.Single(atCarrier, m => m.Received && m.StartLine.StartsWith("UPDATE ", StringComparison.Ordinal));
        var carrierInvite = atCarrier.First(m => !m.Received && m.StartLine.StartsWith("INVITE ", StringComparison.Ordinal));
        Assert.Contains("s=" + InDialogScenarios.PbxUpdateSession, update.Body, StringComparison.Ordinal);
        Assert.Equal(carrierInvite.Header("Call-ID"), update.Header("Call-ID"));
        Assert.Contains("tag=" + TagOf(carrierInvite.Header("From")), update.Header("To"), StringComparison.Ordinal);

        // The PBX: the 200 to its UPDATE carries the carrier's answer.
        var updateOk = Assert.Single(atPbx, m => m.Received && m.StartLine.StartsWith("SIP/2.0 200", StringComparison.Ordinal) && m.Header("CSeq") == "5 UPDATE");
        Assert.Contains("s=" + InDialogScenarios.CarrierUpdateSession, updateOk.Body, StringComparison.Ordinal);
        Assert.Equal("application/sdp", updateOk.Header("Content-Type"));

        // And the call ends on the PBX's side with the carrier's BYE.
        Assert.Single(atPbx, m => m.Received && m.StartLine.StartsWith("BYE ", StringComparison.Ordinal));
    }

    private static Dictionary<string, string> Call(string number) => new() { ["number"] = number, ["caller"] = "79161234567" };

    [Fact]
    public async Task A_retransmitted_200_to_a_relayed_re_invite_is_acknowledged_again()
    {
        // A PBX whose ACK was lost retransmits its 200 (RFC 3261 §13.3.1.4) and the edge must ACK each copy
        // (§13.2.2.4). SIPp cannot play that PBX (it answers a repeated ACK by resending its last message), so a socket does.
        // As if the first ACK of the re-INVITE's 200 were lost: the PBX sends that 200 again, once.
        using var pbx = new SocketPbx(resendAnswerOnAck: 2);
        using var app = await StartEdgeAsync(pbx.Port, "74958000002");
        using var carrier = Sipp.Start(InDialogScenarios.CarrierWithoutUpdate, EdgeAddress(app), keys: Call("74958000002"));

        var carrierResult = await carrier.WaitAsync(SippWait);
        Assert.True(carrierResult.ExitCode == 0, $"carrier SIPp failed ({carrierResult.ExitCode}): {carrierResult.Errors}");
        Assert.True(pbx.Resent, "the PBX never got to retransmit its 200 to the re-INVITE");
        Assert.Equal(["1 ACK", "2 ACK", "2 ACK"], pbx.AckCSeqs());
    }

    [Fact]
    public async Task The_200_to_a_relayed_re_invite_is_retransmitted_until_the_carrier_acks_it()
    {
        // A carrier whose ACK was lost: the edge, as the UAS core of the re-INVITE, must resend its 200 (RFC 3261
        // §13.3.1.4) with T1 doubling, and stop once the ACK arrives. Both sides are sockets, so the test decides
        // exactly when (and whether) to acknowledge.
        using var pbx = new SocketPbx();
        using var app = await StartEdgeAsync(pbx.Port, "74958000003");
        using var carrier = new SocketCarrier(app, "74958000003");
        var (to, contact) = await carrier.EstablishAsync();

        await carrier.SendAsync(carrier.Request("INVITE", contact, 2, to, InDialogScenarios.CarrierReInviteSession));
        var first = await carrier.ReceiveOkAsync("2 INVITE", TimeSpan.FromSeconds(10));
        Assert.Contains("s=" + InDialogScenarios.PbxReInviteSession, first, StringComparison.Ordinal);

        // No ACK: the same 200 comes again (after T1 = 500 ms, then 1 s).
        Assert.Equal(first, await carrier.ReceiveOkAsync("2 INVITE", TimeSpan.FromSeconds(3)));
        await carrier.SendAsync(carrier.Request("ACK", contact, 2, to, null));

        // Acknowledged: nothing more within the next retransmission intervals (1 s, 2 s).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => carrier.ReceiveOkAsync("2 INVITE", TimeSpan.FromSeconds(3.5)));
        await carrier.HangUpAsync(contact, to, 3);
    }

    [Fact]
    public async Task An_ended_call_still_answers_a_crossing_bye_and_refuses_other_requests_in_its_dialog()
    {
        // After the call ends the edge keeps only the dialog's key for 64·T1: a BYE that crossed the first one is
        // answered as done, any other request in the dialog gets 481, with the edge's tag either way.
        using var pbx = new SocketPbx();
        using var app = await StartEdgeAsync(pbx.Port, "74958000005");
        using var carrier = new SocketCarrier(app, "74958000005");
        var (to, contact) = await carrier.EstablishAsync();
        await carrier.HangUpAsync(contact, to, 2);

        await carrier.SendAsync(carrier.Request("BYE", contact, 3, to, null));
        var bye = await carrier.ReceiveAsync("3 BYE", TimeSpan.FromSeconds(10));
        Assert.StartsWith("SIP/2.0 200", bye, StringComparison.Ordinal);
        await carrier.SendAsync(carrier.Request("UPDATE", contact, 4, to, InDialogScenarios.CarrierReInviteSession));
        var update = await carrier.ReceiveAsync("4 UPDATE", TimeSpan.FromSeconds(10));
        Assert.StartsWith("SIP/2.0 481", update, StringComparison.Ordinal);
        Assert.Equal(TagOf(to), TagOf(Field(update.Split("\r\n"), "To")));

        // The PBX heard of the call's end once, from the first BYE (which may reach it after the carrier's answers).
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (pbx.Requests("BYE").Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Single(pbx.Requests("BYE"));
    }

    [Fact]
    public async Task An_offerless_re_invite_gets_the_pbx_offer_and_the_carriers_answer_reaches_the_pbx_in_the_ack()
    {
        // RFC 3264 §4 / RFC 3261 §13.2.1: a re-INVITE without SDP is answered with an offer and the ACK carries the
        // answer, so the edge cannot ACK the PBX itself before the carrier has answered.
        using var pbx = new SocketPbx();
        using var app = await StartEdgeAsync(pbx.Port, "74958000004");
        using var carrier = new SocketCarrier(app, "74958000004");
        var (to, contact) = await carrier.EstablishAsync();

        await carrier.SendAsync(carrier.Request("INVITE", contact, 2, to, null));
        var offer = await carrier.ReceiveOkAsync("2 INVITE", TimeSpan.FromSeconds(10));
        Assert.Contains("s=" + InDialogScenarios.PbxReInviteSession, offer, StringComparison.Ordinal);
        Assert.Empty(pbx.Acks(2));
        await carrier.SendAsync(carrier.Request("ACK", contact, 2, to, InDialogScenarios.CarrierUpdateSession));

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (pbx.Acks(2).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var ack = Assert.Single(pbx.Acks(2));
        Assert.Contains("s=" + InDialogScenarios.CarrierUpdateSession, ack, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/sdp", ack, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("m=audio 40000 ", ack, StringComparison.Ordinal); // the PBX sees the edge's relay port, not the carrier's
        await carrier.HangUpAsync(contact, to, 3);
    }

    /// <summary>
    /// A PBX on a plain socket: answers every request 200 (INVITEs with SDP: the first with the initial answer, later
    /// ones with the re-INVITE answer; a retransmitted request gets the same answer again) and keeps what it received.
    /// With <c>resendAnswerOnAck</c>, the first ACK with that CSeq number is met by sending the 200 it acknowledges
    /// again, as if that ACK had been lost.
    /// </summary>
    private sealed class SocketPbx : IDisposable
    {
        private readonly UdpClient socket = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource stop = new();
        private readonly List<string> received = [];
        private readonly Dictionary<string, byte[]> answers = new(StringComparer.Ordinal);
        private readonly int? resendAnswerOnAck;
        private readonly Task loop;

        public SocketPbx(int? resendAnswerOnAck = null)
        {
            this.resendAnswerOnAck = resendAnswerOnAck;
            Port = ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
            loop = Task.Run(RunAsync);
        }

        public int Port { get; }

        /// <summary>Whether the 200 was sent again for <c>resendAnswerOnAck</c>.</summary>
        public bool Resent { get; private set; }

        public IReadOnlyList<string> AckCSeqs()
        {
            lock (received)
            {
                return [.. received.Where(m => m.StartsWith("ACK ", StringComparison.Ordinal)).Select(m => Field(m.Split("\r\n"), "CSeq"))];
            }
        }

        public IReadOnlyList<string> Requests(string method)
        {
            lock (received)
            {
                return [.. received.Where(m => m.StartsWith(method + " ", StringComparison.Ordinal))];
            }
        }

        public IReadOnlyList<string> Acks(int cseq)
        {
            lock (received)
            {
                return [.. received.Where(m => m.StartsWith("ACK ", StringComparison.Ordinal) && m.Contains($"CSeq: {cseq} ACK", StringComparison.Ordinal))];
            }
        }

        private async Task RunAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                UdpReceiveResult datagram;
                try
                {
                    datagram = await socket.ReceiveAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var text = Encoding.ASCII.GetString(datagram.Buffer);
                lock (received)
                {
                    received.Add(text);
                }

                var lines = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
                var cseq = Field(lines, "CSeq");
                if (lines[0].StartsWith("ACK ", StringComparison.Ordinal))
                {
                    var number = cseq.Split(' ')[0];
                    if (!Resent && number == resendAnswerOnAck?.ToString(CultureInfo.InvariantCulture) && answers.TryGetValue(number + " INVITE", out var acknowledged))
                    {
                        Resent = true;
                        await socket.SendAsync(acknowledged, datagram.RemoteEndPoint);
                    }

                    continue;
                }

                if (!answers.TryGetValue(cseq, out var response))
                {
                    var isInvite = lines[0].StartsWith("INVITE ", StringComparison.Ordinal);
                    var session = !isInvite ? null : answers.Keys.Any(k => k.EndsWith(" INVITE", StringComparison.Ordinal)) ? "s=" + InDialogScenarios.PbxReInviteSession : "s=initial-answer-from-pbx";
                    response = answers[cseq] = Answer(lines, session, Port);
                }

                await socket.SendAsync(response, datagram.RemoteEndPoint);
            }
        }

        public void Dispose()
        {
            stop.Cancel();
            loop.Wait(TimeSpan.FromSeconds(5));
            socket.Dispose();
            stop.Dispose();
        }
    }

    /// <summary>A carrier on a plain socket, sending exactly the requests a test asks for.</summary>
    private sealed class SocketCarrier(EdgeAppFactory app, string number) : IDisposable
    {
        private const string CallId = "socket-carrier@127.0.0.1";
        private readonly UdpClient socket = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly IPEndPoint edge = new(IPAddress.Loopback, app.Services.GetRequiredService<SipStack>().UdpEndPoint!.Port);

        private int Port => ((IPEndPoint)socket.Client.LocalEndPoint!).Port;

        /// <summary>A request in the carrier's dialog; <paramref name="session"/> names an SDP body (PCMA on port 40000), null for none.</summary>
        public string Request(string method, string uri, int cseq, string to, string? session)
        {
            var body = session is null ? string.Empty : $"v=0\r\no=carrier 1 {cseq} IN IP4 127.0.0.1\r\ns={session}\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
            return $"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{Port};branch=z9hG4bK-socket-{cseq}-{method}\r\n" +
                $"From: \"Caller\" <sip:79161234567@127.0.0.1:{Port}>;tag=carrier1\r\nTo: {to}\r\nCall-ID: {CallId}\r\nCSeq: {cseq} {method}\r\n" +
                $"Contact: <sip:79161234567@127.0.0.1:{Port}>\r\nMax-Forwards: 70\r\n" +
                (session is null ? string.Empty : "Content-Type: application/sdp\r\n") + $"Content-Length: {body.Length}\r\n\r\n{body}";
        }

        public async Task SendAsync(string message) => await socket.SendAsync(Encoding.ASCII.GetBytes(message), edge);

        /// <summary>The next 200 with this CSeq, whole; cancelled when none comes within <paramref name="within"/>.</summary>
        public Task<string> ReceiveOkAsync(string cseq, TimeSpan within) => ReceiveAsync(cseq, within, "SIP/2.0 200");

        /// <summary>The next final response with this CSeq, whole; cancelled when none comes within <paramref name="within"/>.</summary>
        public async Task<string> ReceiveAsync(string cseq, TimeSpan within, string startsWith = "SIP/2.0 ")
        {
            using var wait = new CancellationTokenSource(within);
            while (true)
            {
                var text = Encoding.ASCII.GetString((await socket.ReceiveAsync(wait.Token)).Buffer);
                if (text.StartsWith(startsWith, StringComparison.Ordinal) && !text.StartsWith("SIP/2.0 1", StringComparison.Ordinal)
                    && Field(text.Split("\r\n"), "CSeq") == cseq)
                {
                    return text;
                }
            }
        }

        /// <summary>INVITE, 200, ACK: returns the dialog's To (with the edge's tag) and the edge's Contact.</summary>
        public async Task<(string To, string Contact)> EstablishAsync()
        {
            var uri = $"sip:{number}@{edge}";
            await SendAsync(Request("INVITE", uri, 1, $"<{uri}>", "initial-offer-from-carrier"));
            var lines = (await ReceiveOkAsync("1 INVITE", TimeSpan.FromSeconds(10))).Split("\r\n");
            var to = Field(lines, "To");
            var contact = Regex.Match(Field(lines, "Contact"), "<([^>]+)>").Groups[1].Value;
            await SendAsync(Request("ACK", contact, 1, to, null));
            return (to, contact);
        }

        public async Task HangUpAsync(string contact, string to, int cseq)
        {
            await SendAsync(Request("BYE", contact, cseq, to, null));
            await ReceiveOkAsync($"{cseq} BYE", TimeSpan.FromSeconds(10));
        }

        public void Dispose() => socket.Dispose();
    }

    private static string Field(string[] lines, string name) =>
        lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => p[1].Trim()).FirstOrDefault() ?? string.Empty;

    /// <summary>200 OK to a request (with SDP when <paramref name="session"/> is given), the PBX's tag on To.</summary>
    private static byte[] Answer(string[] lines, string? session, int port)
    {
        var response = new StringBuilder("SIP/2.0 200 OK\r\n");
        foreach (var line in lines.Skip(1).Where(l => l.StartsWith("Via:", StringComparison.OrdinalIgnoreCase)))
        {
            response.Append(line).Append("\r\n");
        }

        var to = Field(lines, "To");
        response.Append("From: ").Append(Field(lines, "From")).Append("\r\n")
            .Append("To: ").Append(to.Contains(";tag=", StringComparison.Ordinal) ? to : to + ";tag=pbx1").Append("\r\n")
            .Append("Call-ID: ").Append(Field(lines, "Call-ID")).Append("\r\n")
            .Append("CSeq: ").Append(Field(lines, "CSeq")).Append("\r\n")
            .Append(CultureInfo.InvariantCulture, $"Contact: <sip:pbx@127.0.0.1:{port}>\r\n");
        var body = session is null ? string.Empty : $"v=0\r\no=pbx 1 1 IN IP4 127.0.0.1\r\n{session}\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\n";
        if (body.Length > 0)
        {
            response.Append("Content-Type: application/sdp\r\n");
        }

        response.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n").Append(body);
        return Encoding.ASCII.GetBytes(response.ToString());
    }

    /// <summary>An edge whose outbound gateway is the PBX, with a script sending <paramref name="number"/> there.</summary>
    private async Task<EdgeAppFactory> StartEdgeAsync(int pbxPort, string number)
    {
        var app = new EdgeAppFactory(stores, new Dictionary<string, string?>
        {
            ["Routing:Carriers:0:Cidr"] = "127.0.0.1/32",
            ["Routing:OutboundGateways:0"] = $"127.0.0.1:{pbxPort.ToString(CultureInfo.InvariantCulture)}",
        });
        using var http = app.CreateClient();
        var (project, key) = await app.Services.GetRequiredService<ProjectStore>().CreateAsync("in-dialog", CancellationToken.None);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/project/calltracking/script/create?project={project}")
        {
            Content = new StringContent("{\"name\": \"session changes\", \"replaceable_numbers\": [\"" + number + "\"], \"options\": {\"redirect\": {\"type\": \"phone\", \"value\": \"74990000020\"}}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Api-key", key);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return app;
    }

    private static string EdgeAddress(EdgeAppFactory app) =>
        $"127.0.0.1:{app.Services.GetRequiredService<SipStack>().UdpEndPoint!.Port.ToString(CultureInfo.InvariantCulture)}";

    private static string TagOf(string header) => Regex.Match(header, ";tag=([^;>\\s]+)").Groups[1].Value;

    /// <summary>One message of a SIPp <c>-trace_msg</c> log.</summary>
    private sealed record SippMessage(bool Received, string StartLine, IReadOnlyList<string> Headers, string Body)
    {
        public string Header(string name) =>
            Headers.Select(h => h.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => p[1].Trim()).FirstOrDefault() ?? string.Empty;

        public long CSeqNumber => long.Parse(Header("CSeq").Split(' ')[0], CultureInfo.InvariantCulture);

        /// <summary>SIPp writes each message after a line of dashes and a "… message sent/received …" line.</summary>
        public static IReadOnlyList<SippMessage> Parse(string log)
        {
            var messages = new List<SippMessage>();
            foreach (var block in Regex.Split(log, "^-{20,}.*$", RegexOptions.Multiline))
            {
                var lines = block.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
                var kind = lines.FindIndex(l => l.Contains("message received", StringComparison.Ordinal) || l.Contains("message sent", StringComparison.Ordinal));
                if (kind < 0)
                {
                    continue;
                }

                var start = lines.FindIndex(kind + 1, l => l.Length > 0);
                if (start < 0)
                {
                    continue;
                }

                var end = lines.FindIndex(start, l => l.Length == 0);
                end = end < 0 ? lines.Count : end;
                var body = string.Join("\n", lines.Skip(end + 1)).Trim();
                messages.Add(new SippMessage(lines[kind].Contains("received", StringComparison.Ordinal), lines[start].Trim(), lines.GetRange(start + 1, end - start - 1), body));
            }

            return messages;
        }
    }
}
