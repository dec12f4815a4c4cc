using Calltracking.Edge.Host.Configuration;
using Calltracking.Edge.NumberPool.Redis;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Calltracking.Edge.Host.Storage;

/// <summary>The shared clients for PostgreSQL and Redis, one of each per process, used by every module.</summary>
public static class StoreServiceCollectionExtensions
{
    public static IServiceCollection AddEdgeStores(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PostgresOptions>().Bind(configuration.GetSection(PostgresOptions.Section)).ValidateOnStart();
        services.AddOptions<RedisOptions>().Bind(configuration.GetSection(RedisOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PostgresOptions>, PostgresOptionsValidation>();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidation>();

        services.AddSingleton<Calltracking.Shared.Metrics.PostgresMetrics>();
        services.AddSingleton(sp => CreateDataSource(sp.GetRequiredService<IOptions<PostgresOptions>>().Value.ConnectionString));
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            // abortConnect=false: the edge starts and routes calls (unattributed) while Redis is down, and the
            // multiplexer reconnects in the background; a call is never refused because Redis is away.
            var options = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<RedisOptions>>().Value.Configuration);
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });

        // The hot lease scripts get a pipelined connection of their own (see RedisScriptConnection); a configuration
        // it cannot serve (TLS, several endpoints, sentinel) leaves them on the multiplexer.
        services.AddSingleton(sp =>
        {
            var redis = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            var endpoint = redis.PipelineScripts ? RedisScriptEndpoint.FromConfiguration(redis.Configuration) : null;
            return endpoint is null ? null! : new RedisScriptConnection(endpoint, sp.GetRequiredService<ILogger<RedisScriptConnection>>());
        });
        return services;
    }

    /// <summary>
    /// The edge sends the same few statements all day (route lookups, call records, leases restored), so Npgsql
    /// prepares a statement on a connection once it has run there twice: PostgreSQL then skips parsing and
    /// planning it. A connection string that sets <c>Max Auto Prepare</c> itself keeps its value (0 turns this off).
    /// A connection goes back to the pool without a reset (<c>No Reset On Close</c>): the edge keeps no session state
    /// (the migrations' advisory lock is released by the migrations), and the reset was five extra statements per
    /// checkout, about one for every thirteen calls. A connection string that names the setting keeps its value.
    /// </summary>
    internal static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("NoResetOnClose", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        return builder.Build();
    }
}
