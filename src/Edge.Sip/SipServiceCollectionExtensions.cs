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

    /// <summary>
    /// The B2BUA and the registrar on top of the stack. Needs an <see cref="Calltracking.Shared.Routing.IRouteResolver"/>,
    /// an <see cref="Calltracking.Shared.Calls.ICallEvents"/>, an <see cref="Calltracking.Shared.Registrations.ISipAccountDirectory"/>
    /// and an <see cref="Calltracking.Shared.Registrations.IRegistrationStore"/> from other modules.
    /// </summary>
    public static IServiceCollection AddCallRouting(this IServiceCollection services)
    {
        services.TryAddSingleton<DnsClient.ILookupClient>(_ => new DnsClient.LookupClient(new DnsClient.LookupClientOptions { UseCache = true, Timeout = TimeSpan.FromSeconds(2), Retries = 1 }));
        services.TryAddSingleton<SipTargetResolver>();
        services.TryAddSingleton<CallMetrics>();
        services.TryAddSingleton<CallTargets>();
        services.TryAddSingleton<Registrar.SipRegistrar>();
        services.AddOptions<Media.MediaOptions>().BindConfiguration(Media.MediaOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Media.MediaOptions>, Media.MediaOptionsValidation>();
        services.TryAddSingleton<Media.MediaRelay>();
        services.TryAddSingleton<CallRouter>();
        services.AddSingleton<ISipRequestHandler>(sp => sp.GetRequiredService<CallRouter>());
        return services;
    }
}

/// <summary>Starts the transports after the application's handler is attached, and closes them at shutdown.</summary>
internal sealed class SipStackService(SipStack stack, IEnumerable<ISipRequestHandler> handlers, IOptions<RoutingOptions> routing, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (handlers.LastOrDefault() is { } handler)
        {
            stack.SetHandler(handler);
        }

        await stack.StartAsync();
    }

    /// <summary>
    /// Graceful shutdown: new INVITEs and OPTIONS get 503 (carriers move traffic to other edges), calls in progress
    /// may finish until the drain timeout, then the rest are ended so their records end properly: answered ones with
    /// BYE on both sides, ringing ones with 503 to the carrier and CANCEL to the target (status CONGESTION).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (handlers.LastOrDefault() is CallRouter router)
        {
            router.StartDraining();
            var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(routing.Value.DrainTimeoutSeconds);
            while (router.ActiveCalls > 0 && time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
            {
                await router.CallsChanged.WaitAsync(TimeSpan.FromMilliseconds(250), CancellationToken.None);
            }

            // Ending a call takes it off the table at once, so whether any were left is read before: their BYEs and
            // CANCELs need the transports open a little longer, for the answers to arrive and a target's 487 to get
            // its ACK from the INVITE transaction.
            var left = router.ActiveCalls;
            await router.HangUpAllAsync("edge shutting down");
            await Task.Delay(TimeSpan.FromMilliseconds(left > 0 ? 500 : 0), time, CancellationToken.None);
        }

        await stack.DisposeAsync();
    }
}
