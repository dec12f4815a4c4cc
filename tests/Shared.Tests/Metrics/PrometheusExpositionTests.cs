using System.Diagnostics.Metrics;

namespace Calltracking.Shared.Tests.Metrics;

public sealed class PrometheusExpositionTests
{
    [Fact]
    public void Counter_gets_help_type_and_total_suffix()
    {
        using var m = new TestMeter();
        var counter = m.Meter.CreateCounter<long>("edge_sip_messages_received", description: "SIP messages received.");
        counter.Add(3, new KeyValuePair<string, object?>("method", "INVITE"));
        counter.Add(2, new KeyValuePair<string, object?>("method", "INVITE"));

        var text = m.Scrape();

        Assert.Contains("# HELP edge_sip_messages_received_total SIP messages received.\n# TYPE edge_sip_messages_received_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("edge_sip_messages_received_total{method=\"INVITE\"} 5\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Counter_already_ending_in_total_is_not_doubled_and_dots_become_underscores()
    {
        using var m = new TestMeter();
        m.Meter.CreateCounter<long>("edge.calls.total").Add(1);
        Assert.Contains("edge_calls_total 1", m.Samples());
    }

    [Fact]
    public void Invalid_characters_in_names_become_underscores_and_a_leading_digit_is_prefixed()
    {
        using var m = new TestMeter();
        m.Meter.CreateCounter<long>("2xx.calls-total").Add(1, new KeyValuePair<string, object?>("9 lives", "x"));
        Assert.Contains("_2xx_calls_total{_9_lives=\"x\"} 1", m.Samples());
    }

    [Fact]
    public void Negative_counter_increment_is_ignored()
    {
        using var m = new TestMeter();
        var counter = m.Meter.CreateCounter<double>("edge_bytes");
        counter.Add(1.5);
        counter.Add(-1);
        Assert.Contains("edge_bytes_total 1.5", m.Samples());
    }

    [Fact]
    public void Tag_order_does_not_split_a_series_and_labels_are_sorted()
    {
        using var m = new TestMeter();
        var counter = m.Meter.CreateCounter<int>("edge_x");
        counter.Add(1, new("b", "2"), new("a", "1"));
        counter.Add(1, new("a", "1"), new("b", "2"));
        var samples = m.Samples().Where(static s => s.StartsWith("edge_x_total", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["edge_x_total{a=\"1\",b=\"2\"} 2"], samples);
    }

    [Fact]
    public void Label_values_and_help_are_escaped()
    {
        using var m = new TestMeter();
        var counter = m.Meter.CreateCounter<long>("edge_escape", description: "line one\nback\\slash");
        counter.Add(1, new KeyValuePair<string, object?>("reason", "quote\" back\\ nl\n"));
        var text = m.Scrape();
        Assert.Contains("# HELP edge_escape_total line one\\nback\\\\slash\n", text, StringComparison.Ordinal);
        Assert.Contains("edge_escape_total{reason=\"quote\\\" back\\\\ nl\\n\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_names_are_sanitised_and_values_formatted_invariantly()
    {
        using var m = new TestMeter();
        m.Meter.CreateCounter<long>("edge_names").Add(1, new("status.class", 2), new("ok", true), new("ratio", 0.5));
        Assert.Contains("edge_names_total{ok=\"true\",ratio=\"0.5\",status_class=\"2\"} 1", m.Samples());
    }

    [Fact]
    public void Up_down_counter_is_a_gauge_that_goes_down()
    {
        using var m = new TestMeter();
        var active = m.Meter.CreateUpDownCounter<long>("edge_calls_active");
        active.Add(5);
        active.Add(-2);
        var text = m.Scrape();
        Assert.Contains("# TYPE edge_calls_active gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("edge_calls_active 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Gauge_keeps_the_last_value_and_specials_are_spelled_prometheus_style()
    {
        using var m = new TestMeter();
        var gauge = m.Meter.CreateGauge<double>("edge_ratio");
        gauge.Record(0.25, new KeyValuePair<string, object?>("k", "a"));
        gauge.Record(0.75, new KeyValuePair<string, object?>("k", "a"));
        gauge.Record(double.PositiveInfinity, new KeyValuePair<string, object?>("k", "inf"));
        gauge.Record(double.NegativeInfinity, new KeyValuePair<string, object?>("k", "minf"));
        var samples = m.Samples();
        Assert.Contains("edge_ratio{k=\"a\"} 0.75", samples);
        Assert.Contains("edge_ratio{k=\"inf\"} +Inf", samples);
        Assert.Contains("edge_ratio{k=\"minf\"} -Inf", samples);
    }

    [Fact]
    public void Histogram_writes_cumulative_buckets_sum_and_count()
    {
        using var m = new TestMeter(o => o.HistogramBuckets["edge_latency_seconds"] = [0.1, 0.5, 1]);
        var histogram = m.Meter.CreateHistogram<double>("edge_latency_seconds");
        var tag = new KeyValuePair<string, object?>("method", "INVITE");
        foreach (var v in new[] { 0.05, 0.1, 0.3, 0.7, 2.0 })
        {
            histogram.Record(v, tag);
        }

        histogram.Record(double.NaN, tag);
        var text = m.Scrape();
        Assert.Contains("# TYPE edge_latency_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains(
            "edge_latency_seconds_bucket{method=\"INVITE\",le=\"0.1\"} 2\n" +
            "edge_latency_seconds_bucket{method=\"INVITE\",le=\"0.5\"} 3\n" +
            "edge_latency_seconds_bucket{method=\"INVITE\",le=\"1\"} 4\n" +
            "edge_latency_seconds_bucket{method=\"INVITE\",le=\"+Inf\"} 5\n" +
            "edge_latency_seconds_sum{method=\"INVITE\"} 3.15\n" +
            "edge_latency_seconds_count{method=\"INVITE\"} 5\n",
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_without_labels_and_with_many_buckets_uses_binary_search()
    {
        var bounds = Enumerable.Range(1, 40).Select(static i => i * 0.5).ToArray();
        using var m = new TestMeter(o => o.DefaultHistogramBuckets = bounds);
        var histogram = m.Meter.CreateHistogram<long>("edge_sizes");
        histogram.Record(1);
        histogram.Record(7);
        histogram.Record(100);
        var samples = m.Samples();
        Assert.Contains("edge_sizes_bucket{le=\"0.5\"} 0", samples);
        Assert.Contains("edge_sizes_bucket{le=\"1\"} 1", samples);
        Assert.Contains("edge_sizes_bucket{le=\"6.5\"} 1", samples);
        Assert.Contains("edge_sizes_bucket{le=\"7\"} 2", samples);
        Assert.Contains("edge_sizes_bucket{le=\"20\"} 2", samples);
        Assert.Contains("edge_sizes_bucket{le=\"+Inf\"} 3", samples);
        Assert.Contains("edge_sizes_sum 108", samples);
        Assert.Contains("edge_sizes_count 3", samples);
    }

    [Fact]
    public void Histogram_takes_bucket_advice_from_the_instrument_when_not_configured()
    {
        using var m = new TestMeter();
        var histogram = m.Meter.CreateHistogram<double>("edge_advised_seconds", unit: "s", description: "d", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.2, 0.4] });
        histogram.Record(0.3);
        var samples = m.Samples();
        Assert.Contains("edge_advised_seconds_bucket{le=\"0.2\"} 0", samples);
        Assert.Contains("edge_advised_seconds_bucket{le=\"0.4\"} 1", samples);
        Assert.Contains("edge_advised_seconds_bucket{le=\"+Inf\"} 1", samples);
    }

    [Fact]
    public void A_histogram_tag_named_le_does_not_clash_with_the_bucket_label()
    {
        using var m = new TestMeter(o => o.DefaultHistogramBuckets = [1]);
        m.Meter.CreateHistogram<double>("edge_h").Record(0.5, new KeyValuePair<string, object?>("le", "x"));
        Assert.Contains("edge_h_bucket{exported_le=\"x\",le=\"1\"} 1", m.Samples());
    }

    [Fact]
    public void Observable_series_appear_only_while_reported()
    {
        using var m = new TestMeter();
        var depths = new Dictionary<string, long> { ["a"] = 3, ["b"] = 4 };
        m.Meter.CreateObservableGauge("edge_queue_depth", () => depths.Select(static p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("queue", p.Key))).ToArray());
        m.Meter.CreateObservableCounter("edge_observed", () => 42.5);

        var first = m.Samples();
        Assert.Contains("edge_queue_depth{queue=\"a\"} 3", first);
        Assert.Contains("edge_queue_depth{queue=\"b\"} 4", first);
        Assert.Contains("edge_observed_total 42.5", first);

        depths.Remove("b");
        depths["a"] = 9;
        var second = m.Samples();
        Assert.Contains("edge_queue_depth{queue=\"a\"} 9", second);
        Assert.DoesNotContain(second, static s => s.Contains("queue=\"b\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_throwing_callback_costs_its_series_not_the_scrape()
    {
        using var m = new TestMeter();
        m.Meter.CreateObservableGauge<long>("edge_broken", new Func<long>(() => throw new InvalidOperationException("boom")));
        m.Meter.CreateCounter<long>("edge_fine").Add(1);
        var samples = m.Samples();
        Assert.Contains("edge_fine_total 1", samples);
        Assert.Contains("edge_metrics_observation_errors_total 1", samples);
    }

    [Fact]
    public void Cardinality_cap_folds_new_label_sets_into_one_overflow_series_and_counts_them()
    {
        using var m = new TestMeter(o => o.MaxSeriesPerInstrument = 3);
        var counter = m.Meter.CreateCounter<long>("edge_by_number");
        for (var i = 0; i < 10; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("number", "7495000000" + i));
        }

        counter.Add(5, new KeyValuePair<string, object?>("number", "74950000000"));
        var samples = m.Samples();
        var series = samples.Where(static s => s.StartsWith("edge_by_number_total", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, series.Length);
        Assert.Contains("edge_by_number_total{number=\"74950000000\"} 6", series);
        Assert.Contains("edge_by_number_total{overflow=\"true\"} 7", series);
        Assert.Contains("edge_metrics_series_overflow_total{metric=\"edge_by_number_total\"} 7", samples);
        Assert.Contains("edge_metrics_series{metric=\"edge_by_number_total\"} 4", samples);
    }

    [Fact]
    public void Meters_outside_the_prefix_are_not_exposed()
    {
        using var m = new TestMeter();
        using var other = new Meter(m.Meter.Name + "Other");
        other.CreateCounter<long>("edge_foreign").Add(1);
        using var child = new Meter(m.Meter.Name + ".Sip");
        child.CreateCounter<long>("edge_child").Add(1);
        var text = m.Scrape();
        Assert.DoesNotContain("edge_foreign", text, StringComparison.Ordinal);
        Assert.Contains("edge_child_total 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scoped_collector_leaves_out_meters_of_another_factory()
    {
        var name = "Calltracking.Edge.Test" + Guid.NewGuid().ToString("N");
        var mine = new object();
        using var collector = new Calltracking.Shared.Metrics.MetricsCollector(new Calltracking.Shared.Metrics.MetricsOptions { MeterPrefix = name, IncludeProcessMetrics = false }, mine);
        using var own = new Meter(new MeterOptions(name) { Scope = mine });
        using var other = new Meter(new MeterOptions(name) { Scope = new object() });
        using var unscoped = new Meter(name);
        own.CreateCounter<long>("edge_own").Add(1);
        other.CreateCounter<long>("edge_other").Add(1);
        unscoped.CreateCounter<long>("edge_unscoped").Add(1);

        using var scrape = collector.Scrape();
        var text = scrape.ToString();
        Assert.Contains("edge_own_total 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edge_unscoped_total 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("edge_other", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_instruments_of_one_name_add_up_and_a_kind_conflict_is_counted()
    {
        using var m = new TestMeter();
        using var second = new Meter(m.Meter.Name);
        m.Meter.CreateCounter<long>("edge_shared").Add(2);
        second.CreateCounter<long>("edge_shared").Add(3);
        second.CreateUpDownCounter<long>("edge_shared_total").Add(100);
        var samples = m.Samples();
        Assert.Contains("edge_shared_total 5", samples);
        Assert.Contains("edge_metrics_instrument_conflicts_total 1", samples);
    }

    [Fact]
    public void Concurrent_recording_loses_no_increment()
    {
        using var m = new TestMeter();
        var counter = m.Meter.CreateCounter<long>("edge_parallel");
        var histogram = m.Meter.CreateHistogram<double>("edge_parallel_seconds");
        Parallel.For(0, 40_000, i =>
        {
            var tag = new KeyValuePair<string, object?>("shard", i % 4);
            counter.Add(1, tag);
            histogram.Record(0.5, tag);
        });
        var samples = m.Samples();
        for (var shard = 0; shard < 4; shard++)
        {
            Assert.Contains($"edge_parallel_total{{shard=\"{shard}\"}} 10000", samples);
            Assert.Contains($"edge_parallel_seconds_count{{shard=\"{shard}\"}} 10000", samples);
            Assert.Contains($"edge_parallel_seconds_sum{{shard=\"{shard}\"}} 5000", samples);
        }
    }

    [Fact]
    public void Process_metrics_are_included_when_enabled()
    {
        using var m = new TestMeter(o => o.IncludeProcessMetrics = true);
        var text = m.Scrape();
        foreach (var family in new[] { "process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds", "process_open_fds", "dotnet_gc_collections_total", "dotnet_gc_heap_size_bytes", "dotnet_threadpool_threads" })
        {
            Assert.Contains($"# TYPE {family} ", text, StringComparison.Ordinal);
        }

        var start = double.Parse(m.Samples().Single(static s => s.StartsWith("process_start_time_seconds ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(start, DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        var rss = double.Parse(m.Samples().Single(static s => s.StartsWith("process_resident_memory_bytes ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rss, Environment.WorkingSet / 2.0, Environment.WorkingSet * 2.0);
    }

    [Fact]
    public void Scrape_after_dispose_refuses_to_hand_out_the_returned_buffer()
    {
        using var m = new TestMeter();
        var scrape = m.Collector.Scrape();
        scrape.Dispose();
        Assert.Throws<ObjectDisposedException>(() => scrape.Content);
    }
}
