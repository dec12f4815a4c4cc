using System.Buffers.Binary;
using Calltracking.Edge.Recording.Recordings;

namespace Calltracking.Edge.IntegrationTests.Recording;

/// <summary>Audio the recording tests compare: the RTP payload of a pcap, a WAV file, and their loudness envelopes.</summary>
internal static class AudioSignal
{
    /// <summary>The A-law RTP payloads of a pcap (Ethernet/IPv4/UDP) decoded to 8 kHz PCM in RTP timestamp order.</summary>
    public static short[] FromPcap(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var packets = new List<(uint Timestamp, byte[] Payload)>();
        var offset = 24;
        while (offset + 16 <= bytes.Length)
        {
            var captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8));
            var frame = bytes.AsSpan(offset + 16, captured);
            offset += 16 + captured;
            var ipHeader = 4 * (frame[14] & 0x0F);
            var udp = 14 + ipHeader;
            var rtp = frame[(udp + 8)..];
            if (RtpHeader.TryParse(rtp, out var header) && header.PayloadType == 8)
            {
                packets.Add((header.Timestamp, rtp.Slice(header.PayloadOffset, header.PayloadLength).ToArray()));
            }
        }

        var first = packets.Min(p => p.Timestamp);
        var length = packets.Max(p => (int)(p.Timestamp - first) + p.Payload.Length);
        var pcm = new short[length];
        foreach (var (timestamp, payload) in packets)
        {
            G711.DecodeALaw(payload, pcm.AsSpan((int)(timestamp - first), payload.Length));
        }

        return pcm;
    }

    /// <summary>The samples of a 16-bit PCM WAV file (first channel) and its sample rate.</summary>
    public static (short[] Samples, int Rate) FromWav(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = 12;
        int channels = 1, rate = 0;
        while (offset + 8 <= bytes.Length)
        {
            var id = System.Text.Encoding.ASCII.GetString(bytes, offset, 4);
            var size = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4)), (uint)(bytes.Length - offset - 8));
            if (id == "fmt ")
            {
                channels = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset + 10));
                rate = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12));
            }
            else if (id == "data")
            {
                var frames = size / (2 * channels);
                var samples = new short[frames];
                for (var i = 0; i < frames; i++)
                {
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(offset + 8 + (i * 2 * channels)));
                }

                return (samples, rate);
            }

            offset += 8 + size + (size & 1);
        }

        throw new InvalidDataException($"{path} has no data chunk");
    }

    /// <summary>RMS loudness per 20 ms frame at 8 kHz.</summary>
    public static double[] Envelope(short[] pcm)
    {
        const int Frame = 160;
        var envelope = new double[pcm.Length / Frame];
        for (var f = 0; f < envelope.Length; f++)
        {
            double sum = 0;
            for (var i = f * Frame; i < (f + 1) * Frame; i++)
            {
                sum += (double)pcm[i] * pcm[i];
            }

            envelope[f] = Math.Sqrt(sum / Frame);
        }

        return envelope;
    }

    /// <summary>The best Pearson correlation of <paramref name="source"/>'s envelope against <paramref name="recording"/>'s, over every lag where it fits.</summary>
    public static double BestCorrelation(double[] source, double[] recording)
    {
        var best = double.MinValue;
        for (var lag = 0; lag + source.Length <= recording.Length; lag++)
        {
            best = Math.Max(best, Pearson(source, recording.AsSpan(lag, source.Length)));
        }

        return best;
    }

    private static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double meanA = 0, meanB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            meanA += a[i];
            meanB += b[i];
        }

        meanA /= a.Length;
        meanB /= b.Length;
        double cov = 0, varA = 0, varB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            cov += (a[i] - meanA) * (b[i] - meanB);
            varA += (a[i] - meanA) * (a[i] - meanA);
            varB += (b[i] - meanB) * (b[i] - meanB);
        }

        return varA == 0 || varB == 0 ? 0 : cov / Math.Sqrt(varA * varB);
    }
}
