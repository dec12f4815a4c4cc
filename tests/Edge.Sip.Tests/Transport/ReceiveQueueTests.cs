using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Calltracking.Edge.Sip.Tests.Transport;

/// <summary>Datagrams carry how long they waited in the kernel's queue, read from the kernel's own receive stamps.</summary>
public sealed class ReceiveQueueTests
{
    private sealed class SlowSink(TimeSpan firstTakes) : ISipMessageSink
    {
        private int seen;

        public BlockingCollection<(string Text, TimeSpan Queued, IPEndPoint From)> Received { get; } = [];

        public void OnMessage(ReadOnlyMemory<byte> data, SipEndPoint source, bool datagram) => OnMessage(data, source, datagram, TimeSpan.Zero);

        public void OnMessage(ReadOnlyMemory<byte> data, SipEndPoint source, bool datagram, TimeSpan queued)
        {
            Received.Add((System.Text.Encoding.ASCII.GetString(data.Span), queued, source.Address));
            if (Interlocked.Increment(ref seen) == 1)
            {
                Thread.Sleep(firstTakes);
            }
        }

        public void OnFramingError(SipEndPoint source, string reason)
        {
        }
    }

    [Fact]
    public async Task A_datagram_that_waited_behind_a_slow_one_reports_the_wait()
    {
        var sink = new SlowSink(TimeSpan.FromMilliseconds(400));
        await using var transport = new UdpSipTransport(new IPEndPoint(IPAddress.Loopback, 0), sink, NullLogger.Instance);
        Assert.True(transport.Stamped, "the kernel stamps datagrams on Linux");
        transport.Start(1);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        peer.SendTo("first"u8, transport.LocalEndPoint);
        Assert.True(sink.Received.TryTake(out var first, TimeSpan.FromSeconds(5)));
        peer.SendTo("second"u8, transport.LocalEndPoint); // while the only receive thread is busy with the first
        Assert.True(sink.Received.TryTake(out var second, TimeSpan.FromSeconds(5)));

        Assert.Equal(("first", "second"), (first.Text, second.Text));
        Assert.Equal(peer.LocalEndPoint, second.From);
        // It sat in the kernel's queue until the first was done: most of the 400 ms, whatever the machine's speed.
        Assert.True(second.Queued >= TimeSpan.FromMilliseconds(300), $"queued {second.Queued.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Senders_and_contents_come_through_the_stamped_receive_unchanged()
    {
        var sink = new SlowSink(TimeSpan.Zero);
        await using var transport = new UdpSipTransport(new IPEndPoint(IPAddress.Loopback, 0), sink, NullLogger.Instance);
        transport.Start(2);
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var big = new string('x', 60_000);
        a.SendTo(System.Text.Encoding.ASCII.GetBytes(big), transport.LocalEndPoint);
        b.SendTo("small"u8, transport.LocalEndPoint);

        var got = new Dictionary<string, IPEndPoint>();
        for (var i = 0; i < 2; i++)
        {
            Assert.True(sink.Received.TryTake(out var message, TimeSpan.FromSeconds(5)));
            got[message.Text.Length > 10 ? "big" : message.Text] = message.From;
            Assert.True(message.Queued >= TimeSpan.Zero);
            if (message.Text.Length > 10)
            {
                Assert.Equal(big, message.Text);
            }
        }

        Assert.Equal((a.LocalEndPoint, b.LocalEndPoint), (got["big"], got["small"]));
    }
}
