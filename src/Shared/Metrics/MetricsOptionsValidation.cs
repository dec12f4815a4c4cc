using Microsoft.Extensions.Options;

namespace Calltracking.Shared.Metrics;

/// <summary>Start-up checks of <see cref="MetricsOptions"/>; every failure names the setting as written in configuration.</summary>
public sealed class MetricsOptionsValidation : IValidateOptions<MetricsOptions>
{
    /// <summary>Beyond this a single instrument would dominate a scrape (10k series cost ~1 ms; see docs/operations.md).</summary>
    public const int MaxSeriesLimit = 100_000;

    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.MeterPrefix))
        {
            failures.Add("Metrics:MeterPrefix is required (e.g. Calltracking.Edge)");
        }

        if (options.MaxSeriesPerInstrument < 1 || options.MaxSeriesPerInstrument > MaxSeriesLimit)
        {
            failures.Add($"Metrics:MaxSeriesPerInstrument must be between 1 and {MaxSeriesLimit}, not {options.MaxSeriesPerInstrument}");
        }

        CheckBuckets("Metrics:DefaultHistogramBuckets", options.DefaultHistogramBuckets, failures);
        foreach (var (instrument, buckets) in options.HistogramBuckets)
        {
            CheckBuckets($"Metrics:HistogramBuckets:{instrument}", buckets, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckBuckets(string setting, double[]? buckets, List<string> failures)
    {
        if (buckets is null || buckets.Length == 0)
        {
            failures.Add($"{setting} needs at least one upper bound");
            return;
        }

        for (var i = 0; i < buckets.Length; i++)
        {
            if (!double.IsFinite(buckets[i]))
            {
                failures.Add($"{setting}[{i}] must be a finite number (+Inf is always added)");
                return;
            }

            if (i > 0 && buckets[i] <= buckets[i - 1])
            {
                failures.Add($"{setting} must be strictly increasing ({buckets[i - 1]} then {buckets[i]} at index {i})");
                return;
            }
        }
    }
}
