using System.Diagnostics.Metrics;

namespace Calltracking.Shared.Tests.Metrics;

/// <summary>The real output, every instrument kind, awkward labels and process metrics, through <c>promtool check metrics</c> (parser and lint).</summary>
public sealed class PromtoolCheckMetricsTests
{
    [Fact]
    public void Promtool_accepts_a_scrape_with_every_kind_of_instrument()
    {
        using var m = new TestMeter(o =>
        {
            o.IncludeProcessMetrics = true;
            o.MaxSeriesPerInstrument = 5;
        });
        var received = m.Meter.CreateCounter<long>("edge_sip_messages_received_total", description: "SIP messages received, by method.");
        received.Add(3, new("method", "INVITE"), new("transport", "udp"));
        received.Add(1, new("method", "weird \"\\\n value"), new("transport", "tcp"));
        for (var i = 0; i < 20; i++)
        {
            received.Add(1, new("method", "M" + i), new("transport", "udp"));
        }

        m.Meter.CreateCounter<double>("edge_recording_encoded_audio_seconds", description: "Audio encoded to MP3.").Add(12.5);
        m.Meter.CreateUpDownCounter<int>("edge_calls_active", description: "Calls in progress.").Add(4);
        m.Meter.CreateGauge<double>("edge_pool_utilisation_ratio", description: "Leased share of each script's pool.").Record(0.5, new KeyValuePair<string, object?>("script", "12"));
        var latency = m.Meter.CreateHistogram<double>("edge_sip_invite_forward_seconds", unit: "s", description: "INVITE received to INVITE forwarded.");
        latency.Record(0.002, new KeyValuePair<string, object?>("redirect", "phone"));
        latency.Record(3, new KeyValuePair<string, object?>("redirect", "sip"));
        m.Meter.CreateObservableGauge("edge_spool_depth_records", () => 7L, description: "Call records waiting in the spool.");
        m.Meter.CreateObservableCounter("edge_rtp_packets_total", () => new Measurement<long>(100, new KeyValuePair<string, object?>("direction", "in")), description: "RTP packets relayed.");
        m.Meter.CreateObservableUpDownCounter("edge_rtp_ports_in_use", () => 12, description: "RTP ports allocated.");

        var text = m.Scrape();
        var (exitCode, output) = Promtool.Run(text, "check", "metrics");

        Assert.True(exitCode == 0, $"promtool check metrics failed ({exitCode}): {output}\n--- scrape ---\n{text}");
    }
}
