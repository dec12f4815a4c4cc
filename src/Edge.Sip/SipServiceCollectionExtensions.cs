using Calltracking.Edge.Sip.Routing;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip;

public static class SipServiceCollectionExtensions
{
    /// <summary>The SIP stack with its transports, started and stopped with the host.</summary>
    public static IServiceCollection AddSipStack(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddOptions<SipOptions>().Bind(configuration.GetSection(SipOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SipOptions>, SipOptionsValidation>();
        services.AddOptions<RoutingOptions>().Bind(configuration.GetSection(RoutingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidation>();
        services.TryAddSingleton<SipMetrics>();
        services.TryAddSingleton<SipStack>();
        services.AddHostedService<SipStackService>();
        return services;
    }
}

/// <summary>Starts the transports after the application's handler is attached, and closes them at shutdown.</summary>
internal sealed class SipStackService(SipStack stack, IEnumerable<ISipRequestHandler> handlers) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (handlers.LastOrDefault() is { } handler)
        {
            stack.SetHandler(handler);
        }

        await stack.StartAsync();
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await stack.DisposeAsync();
}
