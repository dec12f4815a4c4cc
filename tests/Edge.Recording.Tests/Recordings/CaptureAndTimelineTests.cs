using Calltracking.Edge.Recording.Recordings;
using Calltracking.Shared.Media;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Recording.Tests.Recordings;

/// <summary>Capture files written as the relay writes them, read back and decoded into an aligned timeline.</summary>
public sealed class CaptureAndTimelineTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("edge-capture-test").FullName;
    private readonly FakeTimeProvider time = new();
    private readonly Guid callId = Guid.NewGuid();
    private string? completed;

    private CaptureWriter NewWriter(Dictionary<int, string>? names = null) => new(
        Path.Combine(directory, callId.ToString("N") + CaptureFile.PartialExtension),
        new CaptureMetadata(callId, 42, time.GetUtcNow(), Stereo: false, names ?? new Dictionary<int, string> { [101] = "telephone-event/8000" }),
        time, path => completed = path, NullLogger.Instance);

    /// <summary>An RTP packet of 160 samples (20 ms at 8 kHz), every payload byte <paramref name="fill"/>.</summary>
    private static byte[] Rtp(byte payloadType, ushort sequence, uint timestamp, uint ssrc, byte fill, int samples = 160)
    {
        var packet = new byte[12 + samples];
        packet[0] = 0x80;
        packet[1] = payloadType;
        packet[2] = (byte)(sequence >> 8);
        packet[3] = (byte)sequence;
        packet[4] = (byte)(timestamp >> 24);
        packet[5] = (byte)(timestamp >> 16);
        packet[6] = (byte)(timestamp >> 8);
        packet[7] = (byte)timestamp;
        packet[8] = (byte)(ssrc >> 24);
        packet[11] = (byte)ssrc;
        packet.AsSpan(12).Fill(fill);
        return packet;
    }

    private static byte Fill(int k) => (byte)(0x10 + k);

    [Fact]
    public void G711_tables_match_the_standard_values()
    {
        Assert.Equal(0, G711.MuLawToLinear(0xFF));
        Assert.Equal(-32124, G711.MuLawToLinear(0x00));
        Assert.Equal(32124, G711.MuLawToLinear(0x80));
        Assert.Equal(8, G711.ALawToLinear(0xD5));
        Assert.Equal(-8, G711.ALawToLinear(0x55));
        Assert.Equal(-32256, G711.ALawToLinear(0x2A));
        Assert.Equal(32256, G711.ALawToLinear(0xAA));
    }

    [Fact]
    public void Loss_reordering_duplicates_and_jitter_decode_into_a_timeline_without_gaps_in_timing()
    {
        var start = time.GetUtcNow();
        var writer = NewWriter();
        const uint CallerBase = 3_000_000_000; // wraps past 2^32 during the call
        var order = Enumerable.Range(0, 50).Where(k => k is < 10 or > 14).ToList(); // 10..14 are lost
        (order[18], order[19]) = (order[19], order[18]); // 23 arrives before 22
        order.Insert(30, order[29]); // one duplicate
        var lastK = -1;
        foreach (var k in order)
        {
            // Each packet arrives 20 ms after the previous slot, some 7 ms late (jitter); the reordered one later still.
            var arrival = TimeSpan.FromMilliseconds((k * 20) + (k % 3 == 0 ? 7 : 0) + (k == 22 ? 15 : 0));
            var now = time.GetUtcNow() - start;
            if (k != lastK && arrival > now)
            {
                time.Advance(arrival - now);
            }

            lastK = k;
            writer.Write(MediaDirection.FromCaller, Rtp(8, (ushort)(65_500 + k), unchecked(CallerBase + (uint)(k * 160) + 1_294_967_296u), 0x1111, Fill(k)));
        }

        // The callee starts 100 ms later, µ-law, its own SSRC and timestamp base; DTMF events are not audio.
        time.SetUtcNow(start.AddMilliseconds(1000));
        writer.Write(MediaDirection.FromCallee, Rtp(0, 1, 777, 0x2222, 0x7F));
        writer.Write(MediaDirection.FromCallee, Rtp(101, 2, 777, 0x2222, 0x05, samples: 4));
        time.Advance(TimeSpan.FromMilliseconds(200));
        writer.Complete();

        Assert.NotNull(completed);
        Assert.EndsWith(CaptureFile.Extension, completed, StringComparison.Ordinal);
        var capture = CaptureFile.Read(completed!)!;
        Assert.Equal(callId, capture.Metadata.CallId);
        Assert.Equal(1_200_000UL, capture.EndMicros);
        var call = RecordingTimeline.Decode(capture);

        Assert.Equal(9600, call.Samples); // 1.2 s: the call's length, not the last packet's
        for (var k = 0; k < 50; k++)
        {
            var expected = k is >= 10 and <= 14 ? (short)0 : G711.ALawToLinear(Fill(k));
            Assert.All(call.Caller.AsSpan(k * 160, 160).ToArray(), s => Assert.Equal(expected, s));
        }

        Assert.All(call.Caller.AsSpan(8000).ToArray(), s => Assert.Equal(0, s));
        // The callee's packet arrived at 1.0 s; its lone packet anchors there.
        Assert.All(call.Callee.AsSpan(8000, 160).ToArray(), s => Assert.Equal(G711.MuLawToLinear(0x7F), s));
        Assert.All(call.Callee.AsSpan(0, 8000).ToArray(), s => Assert.Equal(0, s));
        Assert.Empty(call.Notes);
        Assert.Equal((short)Math.Clamp(G711.ALawToLinear(Fill(0)) + 0, short.MinValue, short.MaxValue), call.Mono()[0]);
    }

    [Fact]
    public void A_recording_ends_when_the_call_ends_however_late_the_capture_completes()
    {
        var writer = NewWriter();
        writer.Write(MediaDirection.FromCaller, Rtp(8, 1, 0, 7, 0x20));
        time.Advance(TimeSpan.FromMilliseconds(500));
        writer.End();
        // The relay lets go late (a busy machine): packets in between are dropped, and the length stays the call's.
        time.Advance(TimeSpan.FromMilliseconds(800));
        writer.Write(MediaDirection.FromCaller, Rtp(8, 2, 160, 7, 0x21));
        writer.End();
        writer.Complete();
        var call = RecordingTimeline.Decode(CaptureFile.Read(completed!)!);

        Assert.Equal(4000, call.Samples);
        Assert.Equal(1, call.AudiblePackets);
    }

    [Fact]
    public void A_new_stream_after_a_timestamp_jump_is_placed_by_its_arrival()
    {
        var writer = NewWriter();
        writer.Write(MediaDirection.FromCaller, Rtp(8, 1, 1000, 7, 0x20));
        time.Advance(TimeSpan.FromMilliseconds(500));
        writer.Write(MediaDirection.FromCaller, Rtp(8, 2, 90_000_000, 7, 0x21)); // sender reset its clock
        time.Advance(TimeSpan.FromMilliseconds(100));
        writer.Complete();
        var call = RecordingTimeline.Decode(CaptureFile.Read(completed!)!);
        Assert.Equal(4800, call.Samples);
        Assert.Equal(G711.ALawToLinear(0x20), call.Caller[0]);
        Assert.Equal(G711.ALawToLinear(0x21), call.Caller[4000]);
        Assert.Equal(0, call.Caller[2000]);
    }

    [Fact]
    public void A_codec_that_cannot_be_decoded_is_named_in_the_notes_and_left_silent()
    {
        var writer = NewWriter(new Dictionary<int, string> { [18] = "G729/8000" });
        writer.Write(MediaDirection.FromCaller, Rtp(18, 1, 0, 9, 0x33, samples: 20));
        time.Advance(TimeSpan.FromMilliseconds(100));
        writer.Complete();
        var call = RecordingTimeline.Decode(CaptureFile.Read(completed!)!);
        Assert.Equal(800, call.Samples);
        Assert.Equal(0, call.AudiblePackets);
        Assert.Contains(call.Notes, n => n.Contains("G729/8000", StringComparison.Ordinal));
        Assert.All(call.Caller, s => Assert.Equal(0, s));
    }

    [Fact]
    public void A_torn_tail_keeps_everything_before_it_and_garbage_is_not_a_capture()
    {
        var writer = NewWriter();
        for (var k = 0; k < 3; k++)
        {
            writer.Write(MediaDirection.FromCaller, Rtp(8, (ushort)k, (uint)(k * 160), 1, Fill(k)));
            time.Advance(TimeSpan.FromMilliseconds(20));
        }

        writer.Complete();
        var bytes = File.ReadAllBytes(completed!);
        File.WriteAllBytes(completed!, bytes[..^(CaptureFile.RecordHeaderSize + 50)]); // the end record and half the last packet
        var capture = CaptureFile.Read(completed!)!;
        Assert.Equal(2, capture.Packets.Count);
        Assert.Null(capture.EndMicros);
        Assert.Equal(320, RecordingTimeline.Decode(capture).Samples);

        var garbage = Path.Combine(directory, "garbage.cap");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
        Assert.Null(CaptureFile.Read(garbage));
        File.WriteAllBytes(garbage, [.. "CTCAP001"u8, 5, 0, 0, 0, .. "{nope"u8]);
        Assert.Null(CaptureFile.Read(garbage));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 8, 0, 1 })] // shorter than a header
    [InlineData(new byte[] { 0x40, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xD5 })] // version 1
    [InlineData(new byte[] { 0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xD5 })] // RTCP sender report muxed on the port
    [InlineData(new byte[] { 0x8F, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xD5 })] // 15 CSRCs announced, none present
    [InlineData(new byte[] { 0x90, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 9 })] // extension longer than the packet
    [InlineData(new byte[] { 0xA0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xD5, 9 })] // padding longer than the payload
    public void Packets_that_are_not_sane_rtp_are_not_captured(byte[] packet)
    {
        Assert.False(RtpHeader.TryParse(packet, out _));
        var writer = NewWriter();
        writer.Write(MediaDirection.FromCaller, packet);
        writer.Complete();
        Assert.Empty(CaptureFile.Read(completed!)!.Packets);
    }

    [Fact]
    public void Csrcs_extensions_and_padding_are_stripped_from_the_payload()
    {
        byte[] packet = [0xB1, 0x88, 0, 5, 0, 0, 0, 160, 0, 0, 0, 1, 9, 9, 9, 9, 0xBE, 0xDE, 0, 1, 1, 2, 3, 4, 0xD5, 0xD5, 0, 2];
        Assert.True(RtpHeader.TryParse(packet, out var header));
        Assert.Equal(8, header.PayloadType);
        Assert.Equal(5, header.Sequence);
        Assert.Equal(160u, header.Timestamp);
        Assert.Equal(24, header.PayloadOffset);
        Assert.Equal(2, header.PayloadLength);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
