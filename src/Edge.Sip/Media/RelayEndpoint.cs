using System.Net.Sockets;
using Calltracking.Shared.Media;

namespace Calltracking.Edge.Sip.Media;

/// <summary>
/// One relay socket as its <see cref="RelayLoop"/> sees it: where packets may come from (<see cref="Peer"/>, with
/// latching), which socket they leave from (<see cref="Output"/>) and to whom, what they count for, and the capture.
/// Only the loop's thread calls <see cref="Accept"/>, so the loss tracker needs no lock.
/// </summary>
internal sealed class RelayEndpoint(MediaSession session, Socket socket, Peer source, Peer destination, MediaDirection direction, bool rtcp)
{
    /// <summary>Largest sockaddr (sockaddr_in6).</summary>
    public const int MaxAddress = 28;

    private SequenceTracker sequence;

    public int Fd { get; } = (int)socket.SafeHandle.DangerousGetHandle();

    /// <summary>The epoll key, given by the loop when it adds the socket.</summary>
    public long Id { get; set; }

    /// <summary>The other side's socket of the same kind: packets received here leave from it.</summary>
    public RelayEndpoint Output { get; set; } = null!;

    /// <summary>Checks a received packet and returns where to send it, or null to drop it.</summary>
    public PeerAddress? Accept(ReadOnlySpan<byte> from, ReadOnlySpan<byte> packet)
    {
        session.Touch();
        if (!source.Accept(from))
        {
            session.Metrics.Dropped("source");
            return null;
        }

        if (destination.Destination is not { } to)
        {
            session.Metrics.Dropped("no_destination");
            return null;
        }

        if (!rtcp)
        {
            if (packet.Length >= 12 && sequence.Lost(packet[0], (ushort)((packet[2] << 8) | packet[3]), packet.Slice(8, 4)) is var missing and not 0)
            {
                session.Metrics.Lost(direction, missing);
            }

            session.Capture?.Write(direction, packet);
            session.Metrics.Relayed(direction);
        }

        return to;
    }

    public void SendFailed() => session.Metrics.Dropped("send");

    /// <summary>The loop removed the socket from its epoll set: close it.</summary>
    public void Removed()
    {
        socket.Dispose();
        session.EndpointRemoved();
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
}
