using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;

namespace Calltracking.Edge.Sip.Tests.Transactions;

public sealed class SipStackTransportTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Options_over_udp_gets_200_with_allow_and_rport_filled()
    {
        await using var edge = await StackHarness.StartAsync();
        using var peer = new SipPeer();

        await peer.SendAsync(edge.Stack.UdpEndPoint!, SipPeer.Options(peer.EndPoint));
        var response = await peer.ReceiveAsync(Wait);

        Assert.NotNull(response);
        Assert.Equal(200, response.StatusCode);
        Assert.Contains("INVITE", response.Header("Allow"), StringComparison.Ordinal);
        Assert.Equal(peer.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), response.TopVia!.RPort);
        Assert.Equal("127.0.0.1", response.TopVia.Received);
        Assert.NotNull(response.To!.Tag);
    }

    [Fact]
    public async Task Options_over_tcp_gets_200_and_keepalives_get_a_pong()
    {
        await using var edge = await StackHarness.StartAsync();
        using var client = new TcpClient();
        await client.ConnectAsync(edge.Stack.TcpEndPoint!);
        var stream = client.GetStream();

        await stream.WriteAsync("\r\n\r\n"u8.ToArray());
        var pong = new byte[2];
        await stream.ReadExactlyAsync(pong);
        Assert.Equal("\r\n"u8.ToArray(), pong);

        await stream.WriteAsync(Encoding.UTF8.GetBytes(SipPeer.Options(new IPEndPoint(IPAddress.Loopback, 5060)).ReplaceLineEndings("\r\n").Replace("SIP/2.0/UDP", "SIP/2.0/TCP", StringComparison.Ordinal)));
        var response = await ReadMessageAsync(stream);
        Assert.Equal(200, response.StatusCode);
    }

    [Fact]
    public async Task Every_split_of_a_message_over_tcp_is_framed_to_one_message()
    {
        await using var edge = await StackHarness.StartAsync();
        var bytes = Encoding.UTF8.GetBytes(SipPeer.Options(new IPEndPoint(IPAddress.Loopback, 5060)).ReplaceLineEndings("\r\n").Replace("SIP/2.0/UDP", "SIP/2.0/TCP", StringComparison.Ordinal));
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(edge.Stack.TcpEndPoint!);
        var stream = client.GetStream();
        for (var split = 1; split < bytes.Length; split++)
        {
            var message = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("opt-1", $"opt-{split}", StringComparison.Ordinal).Replace("z9hG4bKopt1", $"z9hG4bKsplit{split}", StringComparison.Ordinal));
            var cut = Math.Min(split, message.Length - 1);
            await stream.WriteAsync(message.AsMemory(0, cut));
            await stream.FlushAsync();
            await Task.Yield();
            await stream.WriteAsync(message.AsMemory(cut));
            var response = await ReadMessageAsync(stream);
            Assert.Equal(200, response.StatusCode);
            Assert.Equal($"opt-{split}", response.CallId);
        }
    }

    [Fact]
    public async Task Garbage_is_counted_and_the_edge_keeps_answering()
    {
        var errors = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "edge_sip_parse_errors_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref errors, value));
        listener.Start();
        await using var edge = await StackHarness.StartAsync();
        using var peer = new SipPeer();

        var random = new Random(42);
        for (var i = 0; i < 50; i++)
        {
            var junk = new byte[random.Next(1, 1400)];
            random.NextBytes(junk);
            await peer.SendAsync(edge.Stack.UdpEndPoint!, junk);
        }

        await peer.SendAsync(edge.Stack.UdpEndPoint!, SipPeer.Options(peer.EndPoint));
        SipMessage? response;
        do
        {
            response = await peer.ReceiveAsync(Wait);
        }
        while (response is not null && response.StatusCode != 200);

        Assert.NotNull(response);

        // Two receive loops: the OPTIONS can be answered while junk is still being parsed on the other one.
        var deadline = DateTime.UtcNow + Wait;
        while (Interlocked.Read(ref errors) < 50 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(Interlocked.Read(ref errors) >= 50);
    }

    [Fact]
    public async Task Max_forwards_zero_is_answered_483()
    {
        await using var edge = await StackHarness.StartAsync();
        using var peer = new SipPeer();
        var invite = SipPeer.Options(peer.EndPoint).Replace("OPTIONS", "INVITE", StringComparison.Ordinal).Replace("Max-Forwards: 70", "Max-Forwards: 0", StringComparison.Ordinal);
        await peer.SendAsync(edge.Stack.UdpEndPoint!, invite);
        var response = await peer.ReceiveAsync(Wait);
        Assert.Equal(483, response!.StatusCode);
    }

    [Fact]
    public async Task A_missing_call_id_is_answered_400_naming_it()
    {
        await using var edge = await StackHarness.StartAsync();
        using var peer = new SipPeer();
        await peer.SendAsync(edge.Stack.UdpEndPoint!, SipPeer.Options(peer.EndPoint).Replace("Call-ID: opt-1\n", string.Empty, StringComparison.Ordinal).Replace("Call-ID: opt-1\r\n", string.Empty, StringComparison.Ordinal));
        var response = await peer.ReceiveAsync(Wait);
        // Without a Call-ID a response cannot be built (§8.2.6): the request is dropped and counted.
        Assert.Null(response);

        await peer.SendAsync(edge.Stack.UdpEndPoint!, SipPeer.Options(peer.EndPoint).Replace("To: <sip:edge@127.0.0.1>", "To: <sip:edge@127.0.0.1", StringComparison.Ordinal));
        var bad = await peer.ReceiveAsync(Wait);
        Assert.Equal(400, bad!.StatusCode);
        Assert.Contains("To", bad.ReasonPhrase, StringComparison.Ordinal);
    }

    private static async Task<SipMessage> ReadMessageAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            var length = SipParser.FrameLength(buffer.ToArray(), 65535, out var leading);
            if (length > 0)
            {
                return SipParser.Parse(buffer.Skip(leading).Take(length).ToArray(), false, out _)!;
            }

            var read = await stream.ReadAsync(chunk, cts.Token);
            Assert.NotEqual(0, read);
            buffer.AddRange(chunk.AsSpan(0, read));
        }
    }

    [Theory]
    [InlineData("Via: SIP/2.0/UDP\n")]
    [InlineData("Via: SIP/2.0/UDP 10.9.9.9:99999;branch=z9hG4bKbroken\n")]
    [InlineData("Via: garbage;;;\n")]
    public async Task Options_with_a_broken_via_is_answered_400_or_dropped_and_the_edge_keeps_answering(string brokenVia)
    {
        await using var edge = await StackHarness.StartAsync();
        using var peer = new SipPeer();
        var broken = SipPeer.Options(peer.EndPoint, "z9hG4bKbroken", "broken-1").ReplaceLineEndings("\n");
        var viaStart = broken.IndexOf("Via:", StringComparison.Ordinal);
        var viaEnd = broken.IndexOf('\n', viaStart) + 1;
        await peer.SendAsync(edge.Stack.UdpEndPoint!, broken[..viaStart] + brokenVia + broken[viaEnd..]);
        var answer = await peer.ReceiveAsync(TimeSpan.FromMilliseconds(500));
        Assert.True(answer is null || answer.StatusCode == 400, answer?.ToString());

        await peer.SendAsync(edge.Stack.UdpEndPoint!, SipPeer.Options(peer.EndPoint));
        Assert.Equal(200, (await peer.ReceiveAsync(Wait))!.StatusCode);
    }
}
