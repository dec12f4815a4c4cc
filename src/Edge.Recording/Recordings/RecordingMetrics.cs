using System.Diagnostics.Metrics;
using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>The recording path's instruments (names as in docs/operations.md).</summary>
public sealed class RecordingMetrics
{
    private readonly Counter<long> captures;
    private readonly Counter<long> recordings;
    private readonly Counter<long> failures;
    private readonly Histogram<double> encodeSeconds;
    private readonly Counter<double> audioSeconds;
    private readonly Meter meter;

    public RecordingMetrics(IMeterFactory meters)
    {
        meter = meters.Create(EdgeMetricNames.RecordingMeter);
        captures = meter.CreateCounter<long>(EdgeMetricNames.RecordingCapturesTotal, description: "Captures opened for answered recorded calls");
        recordings = meter.CreateCounter<long>(EdgeMetricNames.RecordingsTotal, description: "Recordings finished");
        failures = meter.CreateCounter<long>(EdgeMetricNames.RecordingFailuresTotal, description: "Recording problems by stage");
        encodeSeconds = meter.CreateHistogram(EdgeMetricNames.RecordingEncodeSeconds, unit: "s", description: "Time to encode one call to MP3",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        audioSeconds = meter.CreateCounter<double>(EdgeMetricNames.RecordingAudioSecondsTotal, unit: "s", description: "Seconds of audio encoded");
    }

    /// <summary>Observes the captures waiting on disk: how many, and how old the oldest is.</summary>
    public void ObserveQueue(Func<(int Depth, double OldestSeconds)> queue)
    {
        meter.CreateObservableGauge(EdgeMetricNames.RecordingQueueDepth, () => queue().Depth, description: "Captures waiting to be encoded to MP3");
        meter.CreateObservableGauge(EdgeMetricNames.RecordingOldestAgeSeconds, () => queue().OldestSeconds, unit: "s", description: "Age of the oldest capture waiting");
    }

    public void CaptureOpened() => captures.Add(1);

    public void Encoded(TimeSpan took, double audio)
    {
        encodeSeconds.Record(took.TotalSeconds);
        audioSeconds.Add(audio);
    }

    public void Finished(bool ok) => recordings.Add(1, new KeyValuePair<string, object?>("result", ok ? "ok" : "failed"));

    public void Failed(string stage) => failures.Add(1, new KeyValuePair<string, object?>("stage", stage));
}
