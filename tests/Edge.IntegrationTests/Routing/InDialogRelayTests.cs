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
        using var pbx = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var pbxPort = ((IPEndPoint)pbx.Client.LocalEndPoint!).Port;
        using var app = await StartEdgeAsync(pbxPort, "74958000002");
        using var carrier = Sipp.Start(InDialogScenarios.CarrierWithoutUpdate, EdgeAddress(app), keys: Call("74958000002"));

        var acks = new List<string>();
        byte[]? reInviteOk = null;
        var resent = false;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            UdpReceiveResult datagram;
            try
            {
                datagram = await pbx.ReceiveAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                continue;
            }

            var text = Encoding.ASCII.GetString(datagram.Buffer);
            var lines = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
            var cseq = Field(lines, "CSeq");
            if (lines[0].StartsWith("ACK ", StringComparison.Ordinal))
            {
                acks.Add(cseq);
                if (cseq.StartsWith("2 ", StringComparison.Ordinal) && !resent && reInviteOk is not null)
                {
                    // As if that ACK were lost: the same 200 again.
                    resent = true;
                    await pbx.SendAsync(reInviteOk, datagram.RemoteEndPoint);
                }

                continue;
            }

            var isInvite = lines[0].StartsWith("INVITE ", StringComparison.Ordinal);
            var response = Answer(lines, !isInvite ? null : cseq == "2 INVITE" ? "s=" + InDialogScenarios.PbxReInviteSession : "s=initial-answer-from-pbx", pbxPort);
            if (isInvite && cseq == "2 INVITE")
            {
                reInviteOk = response;
            }

            await pbx.SendAsync(response, datagram.RemoteEndPoint);
            if (lines[0].StartsWith("BYE ", StringComparison.Ordinal))
            {
                break;
            }
        }

        var carrierResult = await carrier.WaitAsync(SippWait);
        Assert.True(carrierResult.ExitCode == 0, $"carrier SIPp failed ({carrierResult.ExitCode}): {carrierResult.Errors}");
        Assert.True(resent, "the PBX never got to retransmit its 200 to the re-INVITE");
        Assert.Equal(["1 ACK", "2 ACK", "2 ACK"], acks);
    }

    [Fact]
    public async Task The_200_to_a_relayed_re_invite_is_retransmitted_until_the_carrier_acks_it()
    {
        // A carrier whose ACK was lost: the edge, as the UAS core of the re-INVITE, must resend its 200 (RFC 3261
        // §13.3.1.4) with T1 doubling, and stop once the ACK arrives. Both sides are sockets, so the test decides
        // exactly when (and whether) to acknowledge.
        using var pbx = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var pbxPort = ((IPEndPoint)pbx.Client.LocalEndPoint!).Port;
        using var app = await StartEdgeAsync(pbxPort, "74958000003");
        using var carrier = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var carrierPort = ((IPEndPoint)carrier.Client.LocalEndPoint!).Port;
        var edge = new IPEndPoint(IPAddress.Loopback, app.Services.GetRequiredService<SipStack>().UdpEndPoint!.Port);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var pbxLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                UdpReceiveResult datagram;
                try
                {
                    datagram = await pbx.ReceiveAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var text = Encoding.ASCII.GetString(datagram.Buffer);
                var lines = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
                if (lines[0].StartsWith("ACK ", StringComparison.Ordinal))
                {
                    continue;
                }

                var isInvite = lines[0].StartsWith("INVITE ", StringComparison.Ordinal);
                await pbx.SendAsync(Answer(lines, isInvite ? "s=" + InDialogScenarios.PbxReInviteSession : null, pbxPort), datagram.RemoteEndPoint);
            }
        });

        const string CallId = "lost-ack-test@127.0.0.1";
        var from = $"\"Caller\" <sip:79161234567@127.0.0.1:{carrierPort}>;tag=carrier1";
        string Request(string method, string uri, int cseq, string to, bool sdp)
        {
            var body = sdp ? $"v=0\r\no=carrier 1 {cseq} IN IP4 127.0.0.1\r\ns={InDialogScenarios.CarrierReInviteSession}\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n" : string.Empty;
            return $"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{carrierPort};branch=z9hG4bK-lost-{cseq}-{method}\r\nFrom: {from}\r\nTo: {to}\r\n" +
                $"Call-ID: {CallId}\r\nCSeq: {cseq} {method}\r\nContact: <sip:79161234567@127.0.0.1:{carrierPort}>\r\nMax-Forwards: 70\r\n" +
                (sdp ? "Content-Type: application/sdp\r\n" : string.Empty) + $"Content-Length: {body.Length}\r\n\r\n{body}";
        }

        async Task SendAsync(string message) => await carrier.SendAsync(Encoding.ASCII.GetBytes(message), edge);

        async Task<(string StartLine, string Text)> ReceiveAsync(string cseq, TimeSpan within)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            wait.CancelAfter(within);
            while (true)
            {
                var datagram = await carrier.ReceiveAsync(wait.Token);
                var text = Encoding.ASCII.GetString(datagram.Buffer);
                var lines = text.Split("\r\n");
                if (Field(lines, "CSeq") == cseq && lines[0].StartsWith("SIP/2.0 200", StringComparison.Ordinal))
                {
                    return (lines[0], text);
                }
            }
        }

        var requestUri = $"sip:74958000003@{edge}";
        await SendAsync(Request("INVITE", requestUri, 1, $"<{requestUri}>", sdp: true));
        var (_, ok) = await ReceiveAsync("1 INVITE", TimeSpan.FromSeconds(10));
        var okLines = ok.Split("\r\n");
        var to = Field(okLines, "To");
        var contact = Regex.Match(Field(okLines, "Contact"), "<([^>]+)>").Groups[1].Value;
        await SendAsync(Request("ACK", contact, 1, to, sdp: false));

        await SendAsync(Request("INVITE", contact, 2, to, sdp: true));
        var first = await ReceiveAsync("2 INVITE", TimeSpan.FromSeconds(10));
        Assert.Contains("s=" + InDialogScenarios.PbxReInviteSession, first.Text, StringComparison.Ordinal);

        // No ACK: the same 200 comes again (after T1 = 500 ms, then 1 s).
        var again = await ReceiveAsync("2 INVITE", TimeSpan.FromSeconds(3));
        Assert.Equal(first.Text, again.Text);
        await SendAsync(Request("ACK", contact, 2, to, sdp: false));

        // Acknowledged: nothing more within the next retransmission intervals (1 s, 2 s).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync("2 INVITE", TimeSpan.FromSeconds(3.5)));

        await SendAsync(Request("BYE", contact, 3, to, sdp: false));
        using (var byeWait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (true)
            {
                var text = Encoding.ASCII.GetString((await carrier.ReceiveAsync(byeWait.Token)).Buffer);
                if (text.StartsWith("SIP/2.0 200", StringComparison.Ordinal) && text.Contains("CSeq: 3 BYE", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }

        await stop.CancelAsync();
        await pbxLoop;
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
