using Calltracking.Shared.Media;
using Microsoft.Extensions.Logging;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>
/// Appends one call's packets to its capture file (<c>{call}.cap.part</c>) through a buffered stream; on
/// <see cref="Complete"/> it writes the end record, fsyncs, renames the file to <c>{call}.cap</c> and hands it to
/// the worker. The two relay directions write concurrently, so writes are serialised by a lock held only for a
/// buffer copy (the stream flushes to the page cache every 64 KiB, about 20 s of a G.711 call).
/// </summary>
internal sealed partial class CaptureWriter : ICallCapture
{
    private readonly Lock gate = new();
    private readonly FileStream stream;
    private readonly string partialPath;
    private readonly TimeProvider time;
    private readonly long openedAt;
    private readonly Action<string> completed;
    private readonly ILogger logger;
    private bool failed;
    private bool done;
    private ulong? endedAt;

    public CaptureWriter(string partialPath, CaptureMetadata metadata, TimeProvider time, Action<string> completed, ILogger logger)
    {
        this.partialPath = partialPath;
        this.time = time;
        this.completed = completed;
        this.logger = logger;
        stream = new FileStream(partialPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
        CaptureFile.WriteHeader(stream, metadata);
        openedAt = time.GetTimestamp();
        CallId = metadata.CallId;
    }

    public Guid CallId { get; }

    public void Write(MediaDirection direction, ReadOnlySpan<byte> rtpPacket)
    {
        if (!RtpHeader.TryParse(rtpPacket, out var rtp))
        {
            return;
        }

        Span<byte> header = stackalloc byte[CaptureFile.RecordHeaderSize];
        CaptureFile.FormatRecordHeader(header, (byte)direction, rtp, rtp.PayloadLength, ElapsedMicros());
        lock (gate)
        {
            if (failed || done || endedAt is not null)
            {
                return;
            }

            try
            {
                stream.Write(header);
                stream.Write(rtpPacket.Slice(rtp.PayloadOffset, rtp.PayloadLength));
            }
            catch (IOException ex)
            {
                // A full or failing disk: stop capturing this call; what was written stays and is still encoded.
                failed = true;
                LogWriteFailed(logger, ex, CallId);
            }
        }
    }

    /// <summary>The call's end: the end marker carries this instant, and later packets are dropped.</summary>
    public void End()
    {
        lock (gate)
        {
            endedAt ??= ElapsedMicros();
        }
    }

    public void Complete()
    {
        lock (gate)
        {
            if (done)
            {
                return;
            }

            done = true;
            try
            {
                Span<byte> end = stackalloc byte[CaptureFile.RecordHeaderSize];
                CaptureFile.FormatRecordHeader(end, CaptureFile.EndMarker, default, 0, endedAt ?? ElapsedMicros());
                if (!failed)
                {
                    stream.Write(end);
                }

                stream.Flush(flushToDisk: true);
            }
            catch (IOException ex)
            {
                LogWriteFailed(logger, ex, CallId);
            }
            finally
            {
                stream.Dispose();
            }
        }

        var final = partialPath[..^CaptureFile.PartialExtension.Length] + CaptureFile.Extension;
        try
        {
            File.Move(partialPath, final, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The .part stays; the worker promotes it at the next start.
            LogWriteFailed(logger, ex, CallId);
            return;
        }

        completed(final);
    }

    private ulong ElapsedMicros() => (ulong)(time.GetElapsedTime(openedAt).Ticks / 10);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Error, Message = "Capture of call {CallId} could not be written")]
    private static partial void LogWriteFailed(ILogger logger, Exception ex, Guid callId);
}
