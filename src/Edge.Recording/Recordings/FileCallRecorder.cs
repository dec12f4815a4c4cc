using System.Threading.Channels;
using Calltracking.Shared.Media;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>
/// The <see cref="ICallRecorder"/> port: a capture file per answered call, handed to the <see cref="RecordingWorker"/>
/// when the call ends. Completed captures wait in a bounded queue; when it is full they wait on disk and the worker
/// picks them up by a directory scan once it has caught up.
/// </summary>
public sealed partial class FileCallRecorder : ICallRecorder
{
    private readonly Channel<string> queue;
    private readonly string directory;
    private readonly TimeProvider time;
    private readonly ILogger<FileCallRecorder> logger;
    private readonly RecordingMetrics metrics;
    private int overflowed;

    public FileCallRecorder(IOptions<RecordingOptions> options, TimeProvider time, ILogger<FileCallRecorder> logger, RecordingMetrics metrics)
    {
        directory = options.Value.CaptureDirectory;
        this.time = time;
        this.logger = logger;
        this.metrics = metrics;
        queue = Channel.CreateBounded<string>(new BoundedChannelOptions(options.Value.QueueCapacity) { FullMode = BoundedChannelFullMode.Wait });
        Directory.CreateDirectory(directory);
        metrics.ObserveQueue(Waiting);
    }

    /// <summary>Completed captures on disk not yet made MP3s, and the age of the oldest (read at scrape time).</summary>
    internal (int Depth, double OldestSeconds) Waiting()
    {
        var depth = 0;
        var oldest = DateTime.MaxValue;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*" + CaptureFile.Extension))
        {
            depth++;
            oldest = file.LastWriteTimeUtc < oldest ? file.LastWriteTimeUtc : oldest;
        }

        return (depth, depth == 0 ? 0 : Math.Max(0, (time.GetUtcNow().UtcDateTime - oldest).TotalSeconds));
    }

    internal ChannelReader<string> Completed => queue.Reader;

    internal string CaptureDirectory => directory;

    /// <summary>True once (and resets) when a completed capture did not fit in the queue.</summary>
    internal bool TakeOverflow() => Interlocked.Exchange(ref overflowed, 0) == 1;

    public ICallCapture? Open(CaptureInfo info)
    {
        var path = Path.Combine(directory, info.CallId.ToString("N") + CaptureFile.PartialExtension);
        try
        {
            var metadata = new CaptureMetadata(info.CallId, info.ProjectId, info.AnsweredAt, info.Stereo, new Dictionary<int, string>(info.PayloadNames));
            metrics.CaptureOpened();
            return new CaptureWriter(path, metadata, time, Enqueue, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full or failing disk, or a capture folder the edge may not write: the call goes on unrecorded.
            LogOpenFailed(logger, ex, info.CallId);
            metrics.Failed("capture_open");
            return null;
        }
    }

    internal void Enqueue(string capturePath)
    {
        if (!queue.Writer.TryWrite(capturePath))
        {
            Volatile.Write(ref overflowed, 1);
        }
    }

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "Capture of call {CallId} could not be opened; the call goes on unrecorded")]
    private static partial void LogOpenFailed(ILogger logger, Exception ex, Guid callId);
}
