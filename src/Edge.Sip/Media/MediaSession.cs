using System.Net;
using System.Net.Sockets;
using Calltracking.Shared.Media;

namespace Calltracking.Edge.Sip.Media;

/// <summary>
/// One call's relay: a port pair facing the carrier and one facing the target, their four sockets read by the
/// relay's epoll loops (<see cref="RelayLoop"/>); a packet arriving on one side leaves from the other side's socket
/// of the same kind (RTP or RTCP) towards that side's peer. Symmetric RTP: a side's address is learnt from its first
/// packet (latching, for NATed PBXes) and packets from anyone else are then dropped; a new SDP from that side starts
/// the learning again. While a capture is attached, RTP of both directions is handed to it.
/// </summary>
internal sealed class MediaSession
{
    private readonly MediaRelay relay;
    private readonly Leg caller;
    private readonly Leg callee;
    private readonly RelayEndpoint[] endpoints;
    private readonly TimeProvider time;
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ICallCapture? capture;
    private ITimer? idleTimer;
    private TimeSpan idleTimeout;
    private Action? onIdle;
    private long lastPacket;
    private int closing;
    private int removed;

    public MediaSession(MediaRelay relay, RelayLoop loop, (Socket Rtp, Socket Rtcp, int Port) callerPorts, (Socket Rtp, Socket Rtcp, int Port) calleePorts, TimeProvider time)
    {
        this.relay = relay;
        this.time = time;
        Loop = loop;
        caller = new Leg(callerPorts.Rtp, callerPorts.Rtcp, callerPorts.Port);
        callee = new Leg(calleePorts.Rtp, calleePorts.Rtcp, calleePorts.Port);
        lastPacket = time.GetTimestamp();
        var callerRtp = new RelayEndpoint(this, caller.RtpSocket, caller.Rtp, callee.Rtp, MediaDirection.FromCaller, rtcp: false);
        var callerRtcp = new RelayEndpoint(this, caller.RtcpSocket, caller.Rtcp, callee.Rtcp, MediaDirection.FromCaller, rtcp: true);
        var calleeRtp = new RelayEndpoint(this, callee.RtpSocket, callee.Rtp, caller.Rtp, MediaDirection.FromCallee, rtcp: false);
        var calleeRtcp = new RelayEndpoint(this, callee.RtcpSocket, callee.Rtcp, caller.Rtcp, MediaDirection.FromCallee, rtcp: true);
        callerRtp.Output = calleeRtp;
        calleeRtp.Output = callerRtp;
        callerRtcp.Output = calleeRtcp;
        calleeRtcp.Output = callerRtcp;
        endpoints = [callerRtp, callerRtcp, calleeRtp, calleeRtcp];
        foreach (var endpoint in endpoints)
        {
            loop.Add(endpoint);
        }
    }

    internal RelayLoop Loop { get; }

    internal MediaMetrics Metrics => relay.Metrics;

    /// <summary>The edge's port the carrier sends to (written into the SDP towards the carrier).</summary>
    public int CallerPort => caller.Port;

    /// <summary>The edge's port the target sends to (written into the SDP towards the target).</summary>
    public int CalleePort => callee.Port;

    /// <summary>Payload names from both sides' SDP, for the capture.</summary>
    public Dictionary<int, string> PayloadNames { get; } = [];

    /// <summary>Completes once the sockets are closed, the capture is completed and the ports are back in the pool.</summary>
    public Task Closed => closed.Task;

    internal ICallCapture? Capture => Volatile.Read(ref capture);

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

    /// <summary>A packet arrived (either side): the call is not idle.</summary>
    internal void Touch() => Volatile.Write(ref lastPacket, time.GetTimestamp());

    /// <summary>The call was answered: capture (when recorded) and end the call when media stops.</summary>
    public void Answered(ICallCapture? callCapture, TimeSpan idle, Action idleAction)
    {
        Volatile.Write(ref capture, callCapture);
        idleTimeout = idle;
        onIdle = idleAction;
        Touch();
        idleTimer = time.CreateTimer(static s => ((MediaSession)s!).OnIdleCheck(), this, idle, Timeout.InfiniteTimeSpan);
        if (Volatile.Read(ref closing) != 0)
        {
            // Closed while the answer was being handled: the capture still ends properly.
            idleTimer.Dispose();
            Interlocked.Exchange(ref capture, null)?.Complete();
        }
    }

    private void OnIdleCheck()
    {
        if (Volatile.Read(ref closing) != 0)
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

    /// <summary>Closes the sockets (on the loop's thread), then completes the capture and returns the ports. Idempotent.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref closing, 1) != 0)
        {
            return;
        }

        // The recording ends with the call, however long the relay then takes to let go of its sockets.
        Volatile.Read(ref capture)?.End();
        idleTimer?.Dispose();
        foreach (var endpoint in endpoints)
        {
            Loop.Remove(endpoint);
        }
    }

    /// <summary>Called on the loop's thread as each socket leaves the epoll set and is closed.</summary>
    internal void EndpointRemoved()
    {
        if (Interlocked.Increment(ref removed) != endpoints.Length)
        {
            return;
        }

        // After the last socket: no packet can reach the capture once it is completed. The fsync runs off the loop.
        var finished = Interlocked.Exchange(ref capture, null);
        _ = Task.Run(() =>
        {
            try
            {
                finished?.Complete();
            }
            finally
            {
                relay.Release(this);
                closed.TrySetResult();
            }
        });
    }

    private sealed class Leg(Socket rtp, Socket rtcp, int port)
    {
        public Socket RtpSocket { get; } = rtp;
        public Socket RtcpSocket { get; } = rtcp;
        public int Port { get; } = port;
        public Peer Rtp { get; } = new();
        public Peer Rtcp { get; } = new();
    }
}

/// <summary>A peer's socket address in the kernel's <c>sockaddr</c> form, as <c>recvfrom</c> fills it and <c>sendto</c> takes it.</summary>
internal sealed class PeerAddress(byte[] bytes)
{
    public byte[] Bytes { get; } = bytes;

    public static PeerAddress Of(IPEndPoint endPoint)
    {
        var address = endPoint.Serialize();
        return new PeerAddress(address.Buffer.Span[..address.Size].ToArray());
    }
}

/// <summary>The far end of one socket: where to send, and whether it was learnt from a packet.</summary>
internal sealed class Peer
{
    private PeerAddress? destination;
    private volatile bool latched;

    public PeerAddress? Destination => Volatile.Read(ref destination);

    /// <summary>The side's SDP named an address: send there until its first packet says otherwise.</summary>
    public void Expect(IPEndPoint? endPoint)
    {
        Volatile.Write(ref destination, endPoint is null ? null : PeerAddress.Of(endPoint));
        latched = false;
    }

    /// <summary>True when a packet from <paramref name="source"/> is from this side (the first one latches; it allocates once).</summary>
    public bool Accept(ReadOnlySpan<byte> source)
    {
        if (latched)
        {
            return Volatile.Read(ref destination) is { } known && source.SequenceEqual(known.Bytes);
        }

        Volatile.Write(ref destination, new PeerAddress(source.ToArray()));
        latched = true;
        return true;
    }
}
