using System.Net;
using System.Net.Sockets;

namespace Calltracking.Edge.Sip.Media;

/// <summary>
/// Even/odd port pairs (RTP, RTCP) of the configured range, handed out least recently released first so a port
/// rests as long as possible before reuse (late packets of an old call do not land in a new one). A pair whose
/// ports another process holds is skipped and tried again later.
/// </summary>
internal sealed class RtpPortPool
{
    private readonly Lock gate = new();
    private readonly Queue<int> free = new();
    private readonly IPAddress address;

    public RtpPortPool(IPAddress address, int portMin, int portMax)
    {
        this.address = address;
        for (var port = portMin; port + 1 <= portMax; port += 2)
        {
            free.Enqueue(port);
        }

        Capacity = free.Count;
    }

    public int Capacity { get; }

    public int Available
    {
        get
        {
            lock (gate)
            {
                return free.Count;
            }
        }
    }

    /// <summary>Binds an RTP socket and its RTCP socket on the next free pair; null when none can be bound.</summary>
    public (Socket Rtp, Socket Rtcp, int Port)? Rent()
    {
        int attempts;
        lock (gate)
        {
            attempts = free.Count;
        }

        for (var i = 0; i < attempts; i++)
        {
            int port;
            lock (gate)
            {
                if (!free.TryDequeue(out port))
                {
                    return null;
                }
            }

            var rtp = Bind(port);
            var rtcp = rtp is null ? null : Bind(port + 1);
            if (rtp is not null && rtcp is not null)
            {
                return (rtp, rtcp, port);
            }

            rtp?.Dispose();
            Return(port);
        }

        return null;
    }

    public void Return(int port)
    {
        lock (gate)
        {
            free.Enqueue(port);
        }
    }

    private Socket? Bind(int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}
