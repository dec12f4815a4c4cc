namespace Calltracking.Shared.Media;

/// <summary>Which way a packet travelled through the relay.</summary>
public enum MediaDirection : byte
{
    /// <summary>From the carrier's side (the caller) towards the target.</summary>
    FromCaller = 0,
    /// <summary>From the target (the callee) towards the carrier.</summary>
    FromCallee = 1,
}

/// <summary>What a capture needs to know about its call.</summary>
/// <param name="PayloadNames">RTP payload type → encoding name (<c>PCMA/8000</c>) from the SDP, for dynamic types.</param>
public sealed record CaptureInfo(Guid CallId, long ProjectId, DateTimeOffset AnsweredAt, bool Stereo, IReadOnlyDictionary<int, string> PayloadNames);

/// <summary>
/// The recording port the media relay writes to. Implemented by recording (capture files, MP3 worker).
/// <see cref="Open"/> is called when a recorded call is answered.
/// </summary>
public interface ICallRecorder
{
    /// <summary>Starts the capture of an answered call; null when the capture cannot be opened (the call goes on unrecorded).</summary>
    ICallCapture? Open(CaptureInfo info);
}

/// <summary>
/// One call's capture. <see cref="Write"/> is called from the relay's receive loops (both directions, concurrently)
/// with each RTP packet as received; it must copy what it keeps and never block on I/O for long.
/// </summary>
public interface ICallCapture
{
    void Write(MediaDirection direction, ReadOnlySpan<byte> rtpPacket);

    /// <summary>
    /// The call ends now: the recording ends at this instant, and packets written after it are not kept. The relay
    /// calls it as it starts to close, since letting go of its sockets (and so <see cref="Complete"/>) may come later
    /// on a busy machine, and the recording must last as long as the call's talk time, not as long as the closing.
    /// </summary>
    void End()
    {
    }

    /// <summary>The call ended: the capture is made durable and handed to the recording worker.</summary>
    void Complete();
}
