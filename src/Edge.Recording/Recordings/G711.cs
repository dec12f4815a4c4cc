namespace Calltracking.Edge.Recording.Recordings;

/// <summary>G.711 µ-law and A-law to 16-bit linear PCM (ITU-T G.711), by 256-entry tables.</summary>
public static class G711
{
    private static readonly short[] MuLaw = BuildMuLaw();
    private static readonly short[] ALaw = BuildALaw();

    public static void DecodeMuLaw(ReadOnlySpan<byte> input, Span<short> output)
    {
        for (var i = 0; i < input.Length; i++)
        {
            output[i] = MuLaw[input[i]];
        }
    }

    public static void DecodeALaw(ReadOnlySpan<byte> input, Span<short> output)
    {
        for (var i = 0; i < input.Length; i++)
        {
            output[i] = ALaw[input[i]];
        }
    }

    public static short MuLawToLinear(byte value) => MuLaw[value];

    public static short ALawToLinear(byte value) => ALaw[value];

    private static short[] BuildMuLaw()
    {
        var table = new short[256];
        for (var i = 0; i < 256; i++)
        {
            var u = ~i & 0xFF;
            var t = ((u & 0x0F) << 3) + 0x84;
            t <<= (u & 0x70) >> 4;
            table[i] = (short)((u & 0x80) != 0 ? 0x84 - t : t - 0x84);
        }

        return table;
    }

    private static short[] BuildALaw()
    {
        var table = new short[256];
        for (var i = 0; i < 256; i++)
        {
            var a = i ^ 0x55;
            var t = (a & 0x0F) << 4;
            var segment = (a & 0x70) >> 4;
            t = segment switch
            {
                0 => t + 8,
                1 => t + 0x108,
                _ => (t + 0x108) << (segment - 1),
            };
            table[i] = (short)((a & 0x80) != 0 ? t : -t);
        }

        return table;
    }
}
