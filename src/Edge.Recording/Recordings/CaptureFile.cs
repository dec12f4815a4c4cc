using System.Buffers.Binary;
using System.Text.Json;
using Calltracking.Shared.Media;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>
/// The capture file: what the relay saw of an answered call, appended as it arrives, decoded only after the call.
/// Layout (little-endian): the magic <c>CTCAP001</c>, an int32 length and that many bytes of JSON metadata
/// (<see cref="CaptureMetadata"/>), then records: u16 length of the rest, u8 direction (0xFF ends the capture),
/// u8 payload type, u16 sequence number, u32 RTP timestamp, u32 SSRC, u64 microseconds since answer, payload.
/// A torn tail (a crash mid-record) ends the read; everything before it is kept.
/// </summary>
public static class CaptureFile
{
    public const string PartialExtension = ".cap.part";
    public const string Extension = ".cap";
    public const int RecordHeaderSize = 22;
    public const byte EndMarker = 0xFF;
    private static ReadOnlySpan<byte> Magic => "CTCAP001"u8;

    public static void WriteHeader(Stream stream, CaptureMetadata metadata)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, CaptureMetadata.Json);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, json.Length);
        stream.Write(Magic);
        stream.Write(length);
        stream.Write(json);
    }

    /// <summary>Writes one record's header into <paramref name="header"/> (<see cref="RecordHeaderSize"/> bytes).</summary>
    public static void FormatRecordHeader(Span<byte> header, byte direction, in RtpHeader rtp, int payloadLength, ulong arrivalMicros)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)(RecordHeaderSize - 2 + payloadLength));
        header[2] = direction;
        header[3] = rtp.PayloadType;
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], rtp.Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[6..], rtp.Timestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(header[10..], rtp.Ssrc);
        BinaryPrimitives.WriteUInt64LittleEndian(header[14..], arrivalMicros);
    }

    /// <summary>Reads a capture; null when the file is not a capture (wrong magic or metadata).</summary>
    public static CaptureData? Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            return null;
        }

        var metaLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (metaLength <= 0 || 12 + metaLength > bytes.Length)
        {
            return null;
        }

        CaptureMetadata? metadata;
        try
        {
            metadata = JsonSerializer.Deserialize<CaptureMetadata>(bytes.AsSpan(12, metaLength), CaptureMetadata.Json);
        }
        catch (JsonException)
        {
            return null;
        }

        if (metadata is null)
        {
            return null;
        }

        var packets = new List<CapturedPacket>();
        ulong? endMicros = null;
        var offset = 12 + metaLength;
        while (offset + 2 <= bytes.Length)
        {
            int rest = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset));
            if (rest < RecordHeaderSize - 2 || offset + 2 + rest > bytes.Length)
            {
                break; // torn tail
            }

            var record = bytes.AsSpan(offset, 2 + rest);
            var arrival = BinaryPrimitives.ReadUInt64LittleEndian(record[14..]);
            if (record[2] == EndMarker)
            {
                endMicros = arrival;
            }
            else if (record[2] <= (byte)MediaDirection.FromCallee)
            {
                packets.Add(new CapturedPacket(
                    (MediaDirection)record[2], record[3], BinaryPrimitives.ReadUInt16LittleEndian(record[4..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(record[6..]), BinaryPrimitives.ReadUInt32LittleEndian(record[10..]),
                    arrival, offset + RecordHeaderSize, rest - (RecordHeaderSize - 2)));
            }

            offset += 2 + rest;
        }

        return new CaptureData(metadata, bytes, packets, endMicros);
    }
}

/// <summary>The capture's metadata, stored as JSON at its start.</summary>
public sealed record CaptureMetadata(Guid CallId, long ProjectId, DateTimeOffset AnsweredAt, bool Stereo, Dictionary<int, string> PayloadNames)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>One captured packet; its payload is <c>Bytes[PayloadOffset..+PayloadLength]</c> of the capture.</summary>
public readonly record struct CapturedPacket(
    MediaDirection Direction, byte PayloadType, ushort Sequence, uint Timestamp, uint Ssrc, ulong ArrivalMicros, int PayloadOffset, int PayloadLength);

/// <summary>A capture read back: metadata, the file's bytes, packets in arrival order, and the end time when the call's end was written.</summary>
public sealed record CaptureData(CaptureMetadata Metadata, byte[] Bytes, IReadOnlyList<CapturedPacket> Packets, ulong? EndMicros)
{
    public ReadOnlySpan<byte> Payload(in CapturedPacket packet) => Bytes.AsSpan(packet.PayloadOffset, packet.PayloadLength);
}

/// <summary>The fixed RTP header fields (RFC 3550 §5.1) and where the payload lies in the packet.</summary>
public readonly record struct RtpHeader(byte PayloadType, ushort Sequence, uint Timestamp, uint Ssrc, int PayloadOffset, int PayloadLength)
{
    /// <summary>Parses an RTP packet; false for anything that is not RTP version 2 with a sane header, or for RTCP muxed on the port.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtpHeader header)
    {
        header = default;
        if (packet.Length < 12 || (packet[0] >> 6) != 2)
        {
            return false;
        }

        var payloadType = (byte)(packet[1] & 0x7F);
        if (payloadType is >= 72 and <= 76)
        {
            return false; // RTCP (RFC 5761 §4)
        }

        var offset = 12 + (4 * (packet[0] & 0x0F));
        if ((packet[0] & 0x10) != 0)
        {
            if (offset + 4 > packet.Length)
            {
                return false;
            }

            offset += 4 + (4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]));
        }

        var end = packet.Length;
        if ((packet[0] & 0x20) != 0)
        {
            end -= packet[^1];
        }

        if (offset > end)
        {
            return false;
        }

        header = new RtpHeader(payloadType, BinaryPrimitives.ReadUInt16BigEndian(packet[2..]), BinaryPrimitives.ReadUInt32BigEndian(packet[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[8..]), offset, end - offset);
        return true;
    }
}
