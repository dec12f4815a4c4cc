using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Calltracking.Edge.Recording.Recordings;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Benchmarks.Media;

/// <summary>
/// Seconds of audio encoded to MP3 per second of CPU: the edge's libmp3lame encoder against the <c>lame</c> command on
/// the same raw input (Debian's <c>g711a.pcap</c> speech, looped), same settings (8 kHz mono, 24 kbit/s CBR, lame's
/// default quality), alternated three times in one run; the ratio is the result. Also the edge's decode-and-mix cost.
///
///   encode [seconds of audio, default 600]
/// </summary>
internal static class EncodeBenchmark
{
    public static void Run(int seconds)
    {
        var pcm = Speech(seconds * 8000);
        var directory = Directory.CreateTempSubdirectory("edge-encode-bench").FullName;
        var raw = Path.Combine(directory, "speech.raw");
        var bytes = new byte[pcm.Length * 2];
        for (var i = 0; i < pcm.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), pcm[i]);
        }

        File.WriteAllBytes(raw, bytes);
        var lame = ExternalTool.Require("lame", "lame", "/usr/bin/lame");
        EncodeOurs(pcm[..8000], Path.Combine(directory, "warm.mp3")); // JIT and library load
        var ours = new List<double>();
        var theirs = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            ours.Add(EncodeOurs(pcm, Path.Combine(directory, "ours.mp3")));
            theirs.Add(EncodeWithLame(lame, raw, Path.Combine(directory, "lame.mp3")));
        }

        var oursMedian = ours.Order().ElementAt(1);
        var theirsMedian = theirs.Order().ElementAt(1);
        var decode = DecodeAndMix(seconds);
        Console.WriteLine(FormattableString.Invariant($"audio: {seconds} s of 8 kHz speech; rounds: 3 (median CPU)"));
        Console.WriteLine(FormattableString.Invariant($"edge encoder : {oursMedian:F3} s CPU -> {seconds / oursMedian:F0} s of audio per CPU second ({new FileInfo(Path.Combine(directory, "ours.mp3")).Length} bytes)"));
        Console.WriteLine(FormattableString.Invariant($"lame command : {theirsMedian:F3} s CPU -> {seconds / theirsMedian:F0} s of audio per CPU second ({new FileInfo(Path.Combine(directory, "lame.mp3")).Length} bytes)"));
        Console.WriteLine(FormattableString.Invariant($"ratio edge/lame: {theirsMedian / oursMedian:F2}x (target >= 0.9x)"));
        Console.WriteLine(FormattableString.Invariant($"capture read + G.711 decode + align + mix (both directions): {decode:F3} s CPU -> {seconds / decode:F0} s of call per CPU second"));
        Directory.Delete(directory, recursive: true);
    }

    private static double EncodeOurs(short[] pcm, string path)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        using (var output = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024))
        using (var encoder = new Mp3Encoder(8000, 1, 24))
        {
            encoder.Encode(pcm, default, output);
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
    }

    /// <summary>The lame command's user + system CPU, read by bash's <c>time</c>.</summary>
    private static double EncodeWithLame(string lame, string raw, string mp3)
    {
        var output = ExternalTool.Run("/bin/bash", ["-c", $"TIMEFORMAT='%3U %3S'; time {lame} --quiet -r -s 8 --bitwidth 16 --signed --little-endian -m m -b 24 {raw} {mp3}"], TimeSpan.FromMinutes(10));
        var last = output.Trim().Split('\n')[^1].Split(' ');
        return double.Parse(last[0], CultureInfo.InvariantCulture) + double.Parse(last[1], CultureInfo.InvariantCulture);
    }

    private static double DecodeAndMix(int seconds)
    {
        var directory = Directory.CreateTempSubdirectory("edge-decode-bench").FullName;
        var path = Path.Combine(directory, "call" + CaptureFile.Extension);
        using (var stream = File.Create(path))
        {
            CaptureFile.WriteHeader(stream, new CaptureMetadata(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, false, []));
            Span<byte> header = stackalloc byte[CaptureFile.RecordHeaderSize];
            var payload = new byte[160];
            for (var k = 0; k < seconds * 50; k++)
            {
                for (var d = 0; d < 2; d++)
                {
                    payload.AsSpan().Fill((byte)(k + d));
                    CaptureFile.FormatRecordHeader(header, (byte)d, new RtpHeader(8, (ushort)k, (uint)(k * 160), (uint)(d + 1), 12, 160), 160, (ulong)(k * 20_000));
                    stream.Write(header);
                    stream.Write(payload);
                }
            }
        }

        var before = Process.GetCurrentProcess().TotalProcessorTime;
        var decoded = RecordingTimeline.Decode(CaptureFile.Read(path)!);
        _ = decoded.Mono();
        var took = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
        Directory.Delete(directory, recursive: true);
        return took;
    }

    /// <summary>Debian's g711a.pcap decoded and looped to <paramref name="samples"/> (a tone when the file is missing).</summary>
    private static short[] Speech(int samples)
    {
        const string Pcap = "/usr/share/sip-tester/g711a.pcap";
        var source = new List<short>();
        if (File.Exists(Pcap))
        {
            var bytes = File.ReadAllBytes(Pcap);
            for (var offset = 24; offset + 16 <= bytes.Length;)
            {
                var captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8));
                var frame = bytes.AsSpan(offset + 16, captured);
                offset += 16 + captured;
                var rtp = frame[(14 + (4 * (frame[14] & 0x0F)) + 8)..];
                if (RtpHeader.TryParse(rtp, out var header) && header.PayloadType == 8)
                {
                    foreach (var b in rtp.Slice(header.PayloadOffset, header.PayloadLength))
                    {
                        source.Add(G711.ALawToLinear(b));
                    }
                }
            }
        }

        if (source.Count == 0)
        {
            source.AddRange(Enumerable.Range(0, 8000).Select(i => (short)(8000 * Math.Sin(2 * Math.PI * 440 * i / 8000))));
        }

        var pcm = new short[samples];
        for (var i = 0; i < samples; i++)
        {
            pcm[i] = source[i % source.Count];
        }

        return pcm;
    }
}
