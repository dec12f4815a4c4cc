using Calltracking.Shared.Media;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>
/// Turns a capture into PCM at 8 kHz: each direction's packets are placed by RTP timestamp, anchored to arrival
/// time, so loss leaves silence of the right length and reordering or duplicates change nothing. Each SSRC is
/// anchored on its least-delayed packet (the smallest arrival-minus-timestamp); a timestamp jump of more than a
/// second against arrival time (a new stream after a re-INVITE, a sender reset) starts a new anchor.
/// </summary>
public static class RecordingTimeline
{
    public const int SampleRate = 8000;
    private const long ResyncSamples = SampleRate;

    public static DecodedCall Decode(CaptureData capture)
    {
        var notes = new SortedSet<string>(StringComparer.Ordinal);
        var placed = new List<(MediaDirection Direction, long Position, CapturedPacket Packet, Codec Codec)>(capture.Packets.Count);
        foreach (var stream in capture.Packets.GroupBy(p => (p.Direction, p.Ssrc)))
        {
            PlaceStream(capture, stream.ToList(), placed, notes);
        }

        long length = capture.EndMicros is { } end ? (long)(end * SampleRate / 1_000_000UL) : 0;
        foreach (var p in placed)
        {
            length = Math.Max(length, p.Position + p.Packet.PayloadLength);
        }

        var caller = new short[length];
        var callee = new short[length];
        var audible = 0;
        foreach (var (direction, position, packet, codec) in placed)
        {
            var target = direction == MediaDirection.FromCaller ? caller : callee;
            var payload = capture.Payload(packet);
            var start = Math.Max(0, -position);
            var count = (int)Math.Min(payload.Length - start, length - position - start);
            if (count <= 0)
            {
                continue;
            }

            var destination = target.AsSpan((int)(position + start), count);
            var source = payload.Slice((int)start, count);
            if (codec == Codec.MuLaw)
            {
                G711.DecodeMuLaw(source, destination);
            }
            else
            {
                G711.DecodeALaw(source, destination);
            }

            audible++;
        }

        return new DecodedCall(caller, callee, audible, [.. notes]);
    }

    private static void PlaceStream(CaptureData capture, List<CapturedPacket> packets, List<(MediaDirection, long, CapturedPacket, Codec)> placed, SortedSet<string> notes)
    {
        // Segments of the stream in arrival order, each with its own anchor.
        var segmentOf = new int[packets.Count];
        var anchors = new List<long>();
        var baseTimestamp = packets[0].Timestamp;
        long current = 0;
        for (var i = 0; i < packets.Count; i++)
        {
            var relative = (long)(int)(packets[i].Timestamp - baseTimestamp);
            var arrival = (long)(packets[i].ArrivalMicros * SampleRate / 1_000_000UL);
            var candidate = arrival - relative;
            if (anchors.Count == 0 || Math.Abs(candidate - current) > ResyncSamples)
            {
                anchors.Add(candidate);
            }
            else
            {
                anchors[^1] = Math.Min(anchors[^1], candidate);
            }

            current = candidate;
            segmentOf[i] = anchors.Count - 1;
        }

        for (var i = 0; i < packets.Count; i++)
        {
            var packet = packets[i];
            var codec = CodecOf(capture.Metadata, packet.PayloadType, notes);
            if (codec == Codec.Skip)
            {
                continue;
            }

            var relative = (long)(int)(packet.Timestamp - baseTimestamp);
            placed.Add((packet.Direction, anchors[segmentOf[i]] + relative, packet, codec));
        }
    }

    private static Codec CodecOf(CaptureMetadata metadata, byte payloadType, SortedSet<string> notes)
    {
        var name = metadata.PayloadNames.TryGetValue(payloadType, out var n) ? n : payloadType switch
        {
            0 => "PCMU/8000",
            8 => "PCMA/8000",
            13 => "CN/8000",
            _ => $"payload type {payloadType}",
        };
        var encoding = name.Split('/')[0];
        if (encoding.Equals("PCMU", StringComparison.OrdinalIgnoreCase))
        {
            return Codec.MuLaw;
        }

        if (encoding.Equals("PCMA", StringComparison.OrdinalIgnoreCase))
        {
            return Codec.ALaw;
        }

        if (!encoding.Equals("telephone-event", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("CN", StringComparison.OrdinalIgnoreCase))
        {
            notes.Add($"codec {name} cannot be decoded: its audio is silent in the recording");
        }

        return Codec.Skip;
    }

    private enum Codec
    {
        Skip,
        MuLaw,
        ALaw,
    }
}

/// <summary>Both directions as 8 kHz PCM of the same length, aligned; <see cref="Notes"/> says what could not be decoded.</summary>
public sealed record DecodedCall(short[] Caller, short[] Callee, int AudiblePackets, IReadOnlyList<string> Notes)
{
    public int Samples => Caller.Length;

    /// <summary>Both directions summed into one channel, clipped.</summary>
    public short[] Mono()
    {
        var mixed = new short[Samples];
        for (var i = 0; i < mixed.Length; i++)
        {
            mixed[i] = (short)Math.Clamp(Caller[i] + Callee[i], short.MinValue, short.MaxValue);
        }

        return mixed;
    }
}
