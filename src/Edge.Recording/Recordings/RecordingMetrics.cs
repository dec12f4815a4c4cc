using System.Diagnostics.Metrics;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>The recording path's instruments (names as in docs/operations.md).</summary>
public sealed class RecordingMetrics
{
    private readonly Counter<long> captures;
    private readonly Counter<long> encoded;
    private readonly Counter<long> failures;
    private readonly Histogram<double> encodeSeconds;
    private readonly Counter<double> audioSeconds;

    public RecordingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Calltracking.Edge.Recording");
        captures = meter.CreateCounter<long>("edge_recording_captures_total", description: "Captures opened for answered recorded calls");
        encoded = meter.CreateCounter<long>("edge_recordings_total", description: "Recordings encoded to MP3 and marked ready");
        failures = meter.CreateCounter<long>("edge_recording_failures_total", description: "Recording failures by stage");
        encodeSeconds = meter.CreateHistogram<double>("edge_recording_encode_seconds", unit: "s", description: "Capture read, decode, mix and MP3 encode of one call");
        audioSeconds = meter.CreateCounter<double>("edge_recording_audio_seconds_total", unit: "s", description: "Seconds of audio encoded");
    }

    public void CaptureOpened() => captures.Add(1);

    public void Encoded(TimeSpan took, double audio)
    {
        encoded.Add(1);
        encodeSeconds.Record(took.TotalSeconds);
        audioSeconds.Add(audio);
    }

    public void Failed(string stage) => failures.Add(1, new KeyValuePair<string, object?>("stage", stage));
}
