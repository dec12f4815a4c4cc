using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.NumberPool.Routing;
using Calltracking.Edge.NumberPool.Visits;
using Calltracking.Shared.Registrations;
using Calltracking.Shared.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.NumberPool;

public static class NumberPoolServiceCollectionExtensions
{
    /// <summary>The catalogue, leases, visits and the route resolver. Needs NpgsqlDataSource and IConnectionMultiplexer registered.</summary>
    public static IServiceCollection AddNumberPool(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddOptions<PoolOptions>().Bind(configuration.GetSection(PoolOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PoolOptions>, PoolOptionsValidation>();
        services.AddSingleton<CatalogueStore>();
        services.AddSingleton<CallTally>();
        services.AddHostedService(sp => sp.GetRequiredService<CallTally>());
        services.AddSingleton<CatalogueService>();
        services.AddSingleton<LeaseMetrics>();
        services.AddSingleton<PoolGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<PoolGauges>());
        services.AddSingleton<LeaseStore>();
        services.AddSingleton<VisitStore>();
        services.AddSingleton<RouteCache>();
        services.AddSingleton<Site.SiteRateLimiter>();
        services.AddSingleton<IRouteResolver, PoolRouteResolver>();
        services.AddSingleton<ISipAccountDirectory, SipAccountDirectory>();
        return services;
    }
}
