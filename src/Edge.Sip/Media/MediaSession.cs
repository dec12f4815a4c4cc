using System.Net;
using System.Net.Sockets;
using Calltracking.Shared.Media;

namespace Calltracking.Edge.Sip.Media;

/// <summary>
/// One call's relay: a port pair facing the carrier and one facing the target. Each of the four sockets has its own
/// receive loop that forwards every packet from the other side's socket to the peer, with no allocation per packet
/// (one pinned buffer and one reusable <see cref="SocketAddress"/> per loop). Symmetric RTP: a side's address is
/// learnt from its first packet (latching, for NATed PBXes) and packets from anyone else are then dropped; a new SDP
/// from that side starts the learning again. While a capture is attached, RTP of both directions is handed to it.
/// </summary>
internal sealed class MediaSession
{
    private readonly MediaRelay relay;
    private readonly Leg caller;
    private readonly Leg callee;
    private readonly TimeProvider time;
    private ICallCapture? capture;
    private ITimer? idleTimer;
    private TimeSpan idleTimeout;
    private Action? onIdle;
    private long lastPacket;
    private int closed;

    public MediaSession(MediaRelay relay, (Socket Rtp, Socket Rtcp, int Port) callerPorts, (Socket Rtp, Socket Rtcp, int Port) calleePorts, TimeProvider time)
    {
        this.relay = relay;
        this.time = time;
        caller = new Leg(callerPorts.Rtp, callerPorts.Rtcp, callerPorts.Port);
        callee = new Leg(calleePorts.Rtp, calleePorts.Rtcp, calleePorts.Port);
        lastPacket = time.GetTimestamp();
        Loops = Task.WhenAll(
            ReceiveLoopAsync(caller, callee, rtcp: false, MediaDirection.FromCaller),
            ReceiveLoopAsync(caller, callee, rtcp: true, MediaDirection.FromCaller),
            ReceiveLoopAsync(callee, caller, rtcp: false, MediaDirection.FromCallee),
            ReceiveLoopAsync(callee, caller, rtcp: true, MediaDirection.FromCallee));
    }

    /// <summary>The edge's port the carrier sends to (written into the SDP towards the carrier).</summary>
    public int CallerPort => caller.Port;

    /// <summary>The edge's port the target sends to (written into the SDP towards the target).</summary>
    public int CalleePort => callee.Port;

    /// <summary>Payload names from both sides' SDP, for the capture.</summary>
    public Dictionary<int, string> PayloadNames { get; } = [];

    public Task Loops { get; }

    /// <summary>The carrier's SDP (offer or answer) said where it wants media.</summary>
    public void SetCallerRemote(SdpAudio sdp) => SetRemote(caller, sdp);

    /// <summary>The target's SDP said where it wants media.</summary>
    public void SetCalleeRemote(SdpAudio sdp) => SetRemote(callee, sdp);

    private void SetRemote(Leg leg, SdpAudio sdp)
    {
        lock (PayloadNames)
        {
            foreach (var (pt, name) in sdp.PayloadNames)
            {
                PayloadNames.TryAdd(pt, name);
            }
        }

        leg.Rtp.Expect(sdp.Rtp);
        leg.Rtcp.Expect(sdp.Rtcp);
    }

    /// <summary>The call was answered: capture (when recorded) and end the call when media stops.</summary>
    public void Answered(ICallCapture? callCapture, TimeSpan idle, Action idleAction)
    {
        Volatile.Write(ref capture, callCapture);
        idleTimeout = idle;
        onIdle = idleAction;
        Volatile.Write(ref lastPacket, time.GetTimestamp());
        idleTimer = time.CreateTimer(static s => ((MediaSession)s!).OnIdleCheck(), this, idle, Timeout.InfiniteTimeSpan);
        if (Volatile.Read(ref closed) != 0)
        {
            // Closed while the answer was being handled: the capture still ends properly.
            idleTimer.Dispose();
            Interlocked.Exchange(ref capture, null)?.Complete();
        }
    }

    private void OnIdleCheck()
    {
        if (Volatile.Read(ref closed) != 0)
        {
            return;
        }

        var silent = time.GetElapsedTime(Volatile.Read(ref lastPacket));
        if (silent >= idleTimeout)
        {
            relay.Metrics.IdleTimeout();
            onIdle?.Invoke();
            return;
        }

        idleTimer?.Change(idleTimeout - silent, Timeout.InfiniteTimeSpan);
    }

    private async Task ReceiveLoopAsync(Leg from, Leg to, bool rtcp, MediaDirection direction)
    {
        var socket = rtcp ? from.RtcpSocket : from.RtpSocket;
        var output = rtcp ? to.RtcpSocket : to.RtpSocket;
        var inbound = rtcp ? from.Rtcp : from.Rtp;
        var outbound = rtcp ? to.Rtcp : to.Rtp;
        var buffer = GC.AllocateUninitializedArray<byte>(MediaRelay.MaxPacket, pinned: true);
        var source = new SocketAddress(socket.AddressFamily);
        var sequence = new SequenceTracker();
        while (true)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, source);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException or OperationCanceledException)
            {
                return; // the session closed its sockets
            }

            Volatile.Write(ref lastPacket, time.GetTimestamp());
            if (!inbound.Accept(source))
            {
                relay.Metrics.Dropped("source");
                continue;
            }

            var destination = outbound.Destination;
            if (destination is null)
            {
                relay.Metrics.Dropped("no_destination");
                continue;
            }

            if (!rtcp)
            {
                if (length >= 12 && sequence.Lost(buffer[0], (ushort)((buffer[2] << 8) | buffer[3]), buffer.AsSpan(8, 4)) is var missing and not 0)
                {
                    relay.Metrics.Lost(direction, missing);
                }

                Volatile.Read(ref capture)?.Write(direction, buffer.AsSpan(0, length));
            }

            try
            {
                await output.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, destination);
                if (!rtcp)
                {
                    relay.Metrics.Relayed(direction);
                }
            }
            catch (SocketException)
            {
                relay.Metrics.Dropped("send");
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>Closes the sockets, completes the capture and returns the ports once the loops have ended. Idempotent.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0)
        {
            return;
        }

        idleTimer?.Dispose();
        caller.Dispose();
        callee.Dispose();
        var finished = Interlocked.Exchange(ref capture, null);
        _ = Loops.ContinueWith(_ =>
        {
            // After the loops: no packet can reach the capture once it is completed.
            finished?.Complete();
            relay.Release(this);
        }, TaskScheduler.Default);
    }

    /// <summary>
    /// Loss by sequence number on one stream: a forward gap counts its missing packets (so a reordered packet counts
    /// as lost, and the counter never goes back); a new SSRC or a jump of 3000 or more starts over.
    /// </summary>
    private struct SequenceTracker
    {
        private bool started;
        private uint ssrc;
        private ushort expected;

        public int Lost(byte first, ushort sequence, ReadOnlySpan<byte> ssrcBytes)
        {
            if ((first >> 6) != 2)
            {
                return 0;
            }

            var id = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(ssrcBytes);
            var delta = (short)(sequence - expected);
            if (!started || id != ssrc || delta >= 3000 || delta < -100)
            {
                started = true;
                ssrc = id;
                expected = (ushort)(sequence + 1);
                return 0;
            }

            if (delta < 0)
            {
                return 0; // late or duplicate
            }

            expected = (ushort)(sequence + 1);
            return delta;
        }
    }

    private sealed class Leg(Socket rtp, Socket rtcp, int port) : IDisposable
    {
        public Socket RtpSocket { get; } = rtp;
        public Socket RtcpSocket { get; } = rtcp;
        public int Port { get; } = port;
        public Peer Rtp { get; } = new();
        public Peer Rtcp { get; } = new();

        public void Dispose()
        {
            RtpSocket.Dispose();
            RtcpSocket.Dispose();
        }
    }

    /// <summary>The far end of one socket: where to send, and whether it was learnt from a packet.</summary>
    private sealed class Peer
    {
        private SocketAddress? destination;
        private volatile bool latched;

        public SocketAddress? Destination => Volatile.Read(ref destination);

        /// <summary>The side's SDP named an address: send there until its first packet says otherwise.</summary>
        public void Expect(IPEndPoint? endPoint)
        {
            Volatile.Write(ref destination, endPoint?.Serialize());
            latched = false;
        }

        /// <summary>True when a packet from <paramref name="source"/> is from this side (the first one latches).</summary>
        public bool Accept(SocketAddress source)
        {
            if (latched)
            {
                return source.Equals(Volatile.Read(ref destination));
            }

            var copy = new SocketAddress(source.Family, source.Size);
            source.Buffer.Span[..source.Size].CopyTo(copy.Buffer.Span);
            Volatile.Write(ref destination, copy);
            latched = true;
            return true;
        }
    }
}
