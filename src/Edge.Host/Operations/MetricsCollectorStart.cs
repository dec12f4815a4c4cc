using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.Host.Operations;

/// <summary>
/// Creates the collector when the host starts, so it listens before the first call arrives
/// (a listener only sees measurements made after it started).
/// </summary>
internal sealed class MetricsCollectorStart(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<MetricsCollector>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
