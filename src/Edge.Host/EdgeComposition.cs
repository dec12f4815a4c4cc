using Calltracking.Edge.Host.Api;
using Calltracking.Edge.Host.Configuration;
using Calltracking.Edge.Host.Health;
using Calltracking.Edge.Host.Migrations;
using Calltracking.Edge.Host.Operations;
using Calltracking.Edge.Host.Projects;
using Calltracking.Edge.Host.Status;
using Calltracking.Edge.Sip;
using Calltracking.Edge.NumberPool;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Site;
using Calltracking.Edge.Recording;
using Calltracking.Edge.Recording.Calls;
using Calltracking.Edge.Recording.Recordings;
using Calltracking.Edge.Host.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Calltracking.Edge.Host;

/// <summary>How the edge process is put together: the services of every module and the HTTP endpoints.</summary>
public static class EdgeComposition
{
    /// <summary>The services the CLI needs too: stores, migrations, projects.</summary>
    public static IServiceCollection AddEdgeCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddEdgeStores(configuration);
        services.AddSingleton(sp => new MigrationRunner(
            sp.GetRequiredService<NpgsqlDataSource>(),
            MigrationCatalog.FromModules(),
            sp.GetRequiredService<ILogger<MigrationRunner>>()));
        services.AddSingleton<ProjectStore>();
        services.TryAddSingleton<Calltracking.Shared.Registrations.IRegistrationStore, Registrations.RedisRegistrationStore>();
        services.AddSingleton<Registrations.RegistrationGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<Registrations.RegistrationGauges>());
        return services;
    }

    public static IServiceCollection AddEdge(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEdgeMetrics(configuration);
        services.AddEdgeCore(configuration);
        services.AddOptions<HttpOptions>().Bind(configuration.GetSection(HttpOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HttpOptions>, HttpOptionsValidation>();
        services.AddHostedService<MigrationsAtStart>();
        services.AddSipStack(configuration);
        services.AddNumberPool(configuration);
        services.AddCallHistory(configuration);
        services.AddCallRouting();
        services.AddSingleton<IValidateOptions<Recording.Calls.CallHistoryOptions>, Configuration.CallAgeValidation>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<ApiKeyFilter>();
        return services;
    }

    public static WebApplication MapEdge(this WebApplication app)
    {
        app.MapEdgeHealth();
        app.MapEdgeMetrics();
        app.MapEdgeStatus();
        app.MapEdgeApi().MapNumberPoolApi().MapCallHistoryApi().MapRecordingApi();
        app.MapRecordingLinks();
        app.MapNumberPoolSite();
        return app;
    }
}
