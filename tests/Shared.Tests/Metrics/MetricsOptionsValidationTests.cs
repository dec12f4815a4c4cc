using Calltracking.Shared.Metrics;
using Microsoft.Extensions.Options;

namespace Calltracking.Shared.Tests.Metrics;

public sealed class MetricsOptionsValidationTests
{
    private static ValidateOptionsResult Validate(MetricsOptions options) => new MetricsOptionsValidation().Validate(null, options);

    [Fact]
    public void Defaults_are_valid() => Assert.True(Validate(new MetricsOptions()).Succeeded);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100_001)]
    public void Series_cap_out_of_range_names_the_setting(int cap)
    {
        var result = Validate(new MetricsOptions { MaxSeriesPerInstrument = cap });
        Assert.Contains("Metrics:MaxSeriesPerInstrument", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_prefix_is_refused() =>
        Assert.Contains("Metrics:MeterPrefix", Validate(new MetricsOptions { MeterPrefix = " " }).FailureMessage, StringComparison.Ordinal);

    [Theory]
    [InlineData(new double[0], "at least one")]
    [InlineData(new[] { 1.0, 1.0 }, "strictly increasing")]
    [InlineData(new[] { 2.0, 1.0 }, "strictly increasing")]
    [InlineData(new[] { 1.0, double.PositiveInfinity }, "finite")]
    [InlineData(new[] { double.NaN }, "finite")]
    public void Bad_buckets_name_the_instrument(double[] buckets, string reason)
    {
        var options = new MetricsOptions();
        options.HistogramBuckets["edge_sip_invite_forward_seconds"] = buckets;
        var result = Validate(options);
        Assert.True(result.Failed);
        Assert.Contains("Metrics:HistogramBuckets:edge_sip_invite_forward_seconds", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(reason, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Collector_refuses_invalid_options()
    {
        var options = new MetricsOptions { DefaultHistogramBuckets = [] };
        var error = Assert.Throws<OptionsValidationException>(() => new MetricsCollector(options));
        Assert.Contains("Metrics:DefaultHistogramBuckets", error.Message, StringComparison.Ordinal);
    }
}
