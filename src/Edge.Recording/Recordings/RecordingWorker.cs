using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>
/// Turns finished captures into MP3s: decode G.711, align both directions, mix (mono, or stereo caller/callee per
/// project), encode through libmp3lame, write the file durably (temp file, fsync, rename), mark the call's recording
/// ready in PostgreSQL, and only then delete the capture. At start it resumes what a previous run left: captures
/// not yet encoded, and captures of calls that were in progress when the process died (promoted as they are).
/// </summary>
public sealed partial class RecordingWorker(
    FileCallRecorder recorder, RecordingStore store, RecordingMetrics metrics, IOptions<RecordingOptions> options, TimeProvider time,
    ILogger<RecordingWorker> logger) : BackgroundService
{
    private static readonly TimeSpan UnclaimedAfter = TimeSpan.FromDays(1);
    private readonly RecordingOptions settings = options.Value;
    private readonly ConcurrentDictionary<string, (string Relative, double Seconds, string? Note)> encoded = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        foreach (var pending in ResumePending(promotePartial: true))
        {
            recorder.Enqueue(pending);
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism, CancellationToken = stoppingToken };
        try
        {
            await Parallel.ForEachAsync(recorder.Completed.ReadAllAsync(stoppingToken), parallel, async (path, ct) =>
            {
                await ProcessAsync(path, ct);
                if (recorder.TakeOverflow())
                {
                    foreach (var waiting in ResumePending(promotePartial: false).Where(p => !encoded.ContainsKey(p)))
                    {
                        recorder.Enqueue(waiting);
                    }
                }
            });
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: captures not yet done stay on disk for the next start.
        }
    }

    /// <summary>Captures on disk waiting for the worker, oldest first; at start, partial ones
    /// (the process died mid-call) are promoted.</summary>
    internal IEnumerable<string> ResumePending(bool promotePartial)
    {
        var directory = recorder.CaptureDirectory;
        foreach (var partial in promotePartial ? Directory.EnumerateFiles(directory, "*" + CaptureFile.PartialExtension) : [])
        {
            try
            {
                File.Move(partial, partial[..^CaptureFile.PartialExtension.Length] + CaptureFile.Extension, overwrite: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Already promoted, or not movable now: the next start tries again.
            }
        }

        return Directory.EnumerateFiles(directory, "*" + CaptureFile.Extension)
            .Select(p => new FileInfo(p)).OrderBy(f => f.LastWriteTimeUtc).Select(f => f.FullName).ToList();
    }

    internal async Task ProcessAsync(string capturePath, CancellationToken cancellationToken)
    {
        if (!File.Exists(capturePath))
        {
            return;
        }

        try
        {
            if (!encoded.TryGetValue(capturePath, out var result))
            {
                var started = time.GetTimestamp();
                var capture = CaptureFile.Read(capturePath);
                if (capture is null)
                {
                    SetAside(capturePath, "unreadable");
                    return;
                }

                result = Encode(capture);
                encoded[capturePath] = result;
                metrics.Encoded(time.GetElapsedTime(started), result.Seconds);
            }

            var callId = CallIdOf(capturePath);
            if (!await store.MarkReadyAsync(callId, result.Relative, result.Seconds, result.Note, cancellationToken))
            {
                if (time.GetUtcNow() - File.GetLastWriteTimeUtc(capturePath) > UnclaimedAfter)
                {
                    // A day without its record (the project was deleted): keep the capture aside, stop retrying.
                    SetAside(capturePath, "unclaimed");
                    encoded.TryRemove(capturePath, out _);
                    return;
                }

                // The record has not reached PostgreSQL yet (the spool drains it): try again shortly.
                RetryLater(capturePath);
                return;
            }

            File.Delete(capturePath);
            encoded.TryRemove(capturePath, out _);
            metrics.Finished(ok: true);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            metrics.Failed("mark_ready");
            LogMarkFailed(logger, ex, capturePath);
            RetryLater(capturePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            metrics.Failed("encode");
            LogEncodeFailed(logger, ex, capturePath);
            RetryLater(capturePath);
        }
    }

    private (string Relative, double Seconds, string? Note) Encode(CaptureData capture)
    {
        var metadata = capture.Metadata;
        var decoded = RecordingTimeline.Decode(capture);
        var relative = Path.Combine(
            metadata.AnsweredAt.UtcDateTime.ToString("yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture),
            metadata.ProjectId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            metadata.CallId.ToString("N") + ".mp3");
        var full = Path.Combine(settings.Directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        using (var output = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024))
        {
            using var encoder = new Mp3Encoder(RecordingTimeline.SampleRate, metadata.Stereo ? 2 : 1, settings.BitrateKbps * (metadata.Stereo ? 2 : 1));
            if (metadata.Stereo)
            {
                encoder.Encode(decoded.Caller, decoded.Callee, output);
            }
            else
            {
                encoder.Encode(decoded.Mono(), default, output);
            }

            output.Flush(flushToDisk: true);
        }

        File.Move(temp, full, overwrite: true);
        var notes = decoded.AudiblePackets == 0 && decoded.Notes.Count == 0 ? ["no audio was received"] : decoded.Notes;
        return (relative, decoded.Samples / (double)RecordingTimeline.SampleRate, notes.Count == 0 ? null : string.Join("; ", notes));
    }

    private void RetryLater(string capturePath) =>
        _ = Task.Delay(TimeSpan.FromSeconds(settings.RetrySeconds), time).ContinueWith(_ => recorder.Enqueue(capturePath), TaskScheduler.Default);

    private void SetAside(string capturePath, string reason)
    {
        var aside = Path.Combine(recorder.CaptureDirectory, reason);
        Directory.CreateDirectory(aside);
        File.Move(capturePath, Path.Combine(aside, Path.GetFileName(capturePath)), overwrite: true);
        metrics.Failed(reason);
        metrics.Finished(ok: false);
        LogSetAside(logger, capturePath, aside);
    }

    private static Guid CallIdOf(string capturePath) => Guid.ParseExact(Path.GetFileName(capturePath)[..32], "N");

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Recording {Capture} could not be marked ready; retrying")]
    private static partial void LogMarkFailed(ILogger logger, Exception ex, string capture);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "Recording {Capture} could not be encoded; retrying")]
    private static partial void LogEncodeFailed(ILogger logger, Exception ex, string capture);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Error, Message = "Capture {Capture} cannot be made a recording; moved to {Directory} for inspection")]
    private static partial void LogSetAside(ILogger logger, string capture, string directory);
}
