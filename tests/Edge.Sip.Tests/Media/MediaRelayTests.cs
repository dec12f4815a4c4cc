using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Calltracking.Edge.Sip.Media;
using Calltracking.Shared.Media;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Media;

/// <summary>The relay on real loopback sockets: two UDP peers stand for the carrier and the PBX.</summary>
public sealed class MediaRelayTests : IDisposable
{
    private static int range = 31_000 + (Environment.ProcessId % 100 * 40);
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MediaRelay relay;
    private readonly UdpClient carrier = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly UdpClient pbx = new(new IPEndPoint(IPAddress.Loopback, 0));

    public MediaRelayTests()
    {
        var first = Interlocked.Add(ref range, 40) - 40;
        relay = new MediaRelay(Options.Create(new MediaOptions { PortMin = first, PortMax = first + 7 }), TimeProvider.System, services.GetRequiredService<IMeterFactory>());
    }

    private static SdpAudio At(IPEndPoint endPoint) => new(endPoint, new IPEndPoint(endPoint.Address, endPoint.Port + 1), new Dictionary<int, string>());

    private static byte[] Rtp(ushort sequence, byte fill)
    {
        var packet = new byte[172];
        packet[0] = 0x80;
        packet[1] = 8;
        packet[2] = (byte)(sequence >> 8);
        packet[3] = (byte)sequence;
        packet[7] = (byte)(sequence * 160);
        packet[11] = 0x42;
        packet.AsSpan(12).Fill(fill);
        return packet;
    }

    private static async Task<UdpReceiveResult> ReceiveAsync(UdpClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await client.ReceiveAsync(timeout.Token);
    }

    [Fact]
    public async Task Packets_cross_both_ways_from_the_edge_ports_and_are_captured_once_answered()
    {
        var session = relay.Open()!;
        session.SetCallerRemote(At((IPEndPoint)carrier.Client.LocalEndPoint!));
        session.SetCalleeRemote(At((IPEndPoint)pbx.Client.LocalEndPoint!));
        var capture = new RecordingCapture();
        session.Answered(capture, TimeSpan.FromMinutes(1), () => { });

        await carrier.SendAsync(Rtp(1, 0x11), new IPEndPoint(IPAddress.Loopback, session.CallerPort));
        var atPbx = await ReceiveAsync(pbx);
        Assert.Equal(session.CalleePort, atPbx.RemoteEndPoint.Port);
        Assert.Equal(Rtp(1, 0x11), atPbx.Buffer);

        await pbx.SendAsync(Rtp(7, 0x22), new IPEndPoint(IPAddress.Loopback, session.CalleePort));
        var atCarrier = await ReceiveAsync(carrier);
        Assert.Equal(session.CallerPort, atCarrier.RemoteEndPoint.Port);
        Assert.Equal(Rtp(7, 0x22), atCarrier.Buffer);

        session.Close();
        await session.Closed;
        await capture.Completed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([(MediaDirection.FromCaller, (byte)0x11), (MediaDirection.FromCallee, (byte)0x22)], capture.Packets);
    }

    [Fact]
    public async Task A_natted_peer_is_learnt_from_its_first_packet_and_strangers_are_then_dropped()
    {
        var session = relay.Open()!;
        // The PBX's SDP names an address it does not use (behind NAT): its first packet tells the truth.
        session.SetCalleeRemote(At(new IPEndPoint(IPAddress.Parse("10.255.255.1"), 4000)));
        session.SetCallerRemote(At((IPEndPoint)carrier.Client.LocalEndPoint!));
        await pbx.SendAsync(Rtp(1, 0x33), new IPEndPoint(IPAddress.Loopback, session.CalleePort));
        Assert.Equal(Rtp(1, 0x33), (await ReceiveAsync(carrier)).Buffer);

        await carrier.SendAsync(Rtp(2, 0x44), new IPEndPoint(IPAddress.Loopback, session.CallerPort));
        Assert.Equal(Rtp(2, 0x44), (await ReceiveAsync(pbx)).Buffer);

        using var stranger = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await stranger.SendAsync(Rtp(3, 0x55), new IPEndPoint(IPAddress.Loopback, session.CalleePort));
        await pbx.SendAsync(Rtp(4, 0x66), new IPEndPoint(IPAddress.Loopback, session.CalleePort));
        Assert.Equal(Rtp(4, 0x66), (await ReceiveAsync(carrier)).Buffer);
        session.Close();
    }

    [Fact]
    public async Task Loss_is_counted_from_sequence_gaps_per_direction()
    {
        var session = relay.Open()!;
        session.SetCalleeRemote(At((IPEndPoint)pbx.Client.LocalEndPoint!));
        foreach (var sequence in new ushort[] { 65534, 65535, 2, 1, 3, 3, 9 })
        {
            await carrier.SendAsync(Rtp(sequence, 0x10), new IPEndPoint(IPAddress.Loopback, session.CallerPort));
            await ReceiveAsync(pbx);
        }

        // 0 is missing across the wrap, 1 arrives late (counted lost, never taken back), 4..8 are missing.
        Assert.Equal(7, relay.Metrics.RelayedTotal(MediaDirection.FromCaller));
        Assert.Equal(7, relay.Metrics.LostTotal(MediaDirection.FromCaller));
        Assert.Equal(0, relay.Metrics.LostTotal(MediaDirection.FromCallee));
        session.Close();
    }

    [Fact]
    public async Task Ports_come_back_when_sessions_close_and_a_full_range_says_so()
    {
        var first = relay.Open()!;
        var second = relay.Open()!;
        Assert.Null(relay.Open());
        Assert.NotEqual(first.CallerPort, second.CallerPort);
        first.Close();
        await first.Closed;
        await WaitUntilAsync(() => relay.ActiveSessions == 1);
        var third = relay.Open();
        Assert.NotNull(third);
        second.Close();
        third!.Close();
    }

    [Fact]
    public async Task An_answered_call_is_reported_idle_only_after_the_timeout_passes_without_packets()
    {
        var time = new FakeTimeProvider();
        using var timed = new MediaRelay(Options.Create(new MediaOptions { PortMin = relay.Options.PortMin + 20, PortMax = relay.Options.PortMin + 23 }), time, services.GetRequiredService<IMeterFactory>());
        var session = timed.Open()!;
        session.SetCalleeRemote(At((IPEndPoint)pbx.Client.LocalEndPoint!));
        var idle = new TaskCompletionSource();
        session.Answered(null, TimeSpan.FromSeconds(60), () => idle.TrySetResult());

        time.Advance(TimeSpan.FromSeconds(40));
        await carrier.SendAsync(Rtp(1, 0x10), new IPEndPoint(IPAddress.Loopback, session.CallerPort));
        await ReceiveAsync(pbx); // relayed: the packet was seen at t = 40 s
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(idle.Task.IsCompleted, "70 s after the answer but 30 s after the last packet");
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(idle.Task.IsCompleted, "61 s after the last packet");
        session.Close();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition());
    }

    public void Dispose()
    {
        relay.Dispose();
        carrier.Dispose();
        pbx.Dispose();
        services.Dispose();
    }

    private sealed class RecordingCapture : ICallCapture
    {
        public List<(MediaDirection, byte)> Packets { get; } = [];

        public TaskCompletionSource Completed { get; } = new();

        public void Write(MediaDirection direction, ReadOnlySpan<byte> rtpPacket)
        {
            lock (Packets)
            {
                Packets.Add((direction, rtpPacket[12]));
            }
        }

        public void Complete() => Completed.TrySetResult();
    }
}
