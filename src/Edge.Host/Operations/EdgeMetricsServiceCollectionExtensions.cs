using System.Diagnostics.Metrics;
using Calltracking.Shared.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Host.Operations;

/// <summary>Registers the Prometheus collector over the <c>Calltracking.Edge*</c> meters and its options (section <c>Metrics</c>).</summary>
internal static class EdgeMetricsServiceCollectionExtensions
{
    public static IServiceCollection AddEdgeMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(MetricsOptions.Section);
        services.AddOptions<MetricsOptions>()
            .Bind(section)
            .PostConfigure(options =>
            {
                // The binder appends configured array items to the defaults it found in the property;
                // a configured bucket list must replace the defaults, not extend them.
                var buckets = section.GetSection(nameof(MetricsOptions.DefaultHistogramBuckets));
                if (buckets.GetChildren().Any())
                {
                    options.DefaultHistogramBuckets = buckets.Get<double[]>() ?? [];
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidation>());
        services.AddMetrics();
        // Scoped to this host's meter factory: two hosts in one process (tests) do not count each other's traffic.
        services.TryAddSingleton(sp => new MetricsCollector(sp.GetRequiredService<IOptions<MetricsOptions>>(), sp.GetRequiredService<IMeterFactory>()));
        services.AddHostedService<MetricsCollectorStart>();
        return services;
    }
}
