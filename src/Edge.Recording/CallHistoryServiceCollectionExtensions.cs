using Calltracking.Edge.Recording.Calls;
using Calltracking.Shared.Calls;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording;

public static class CallHistoryServiceCollectionExtensions
{
    /// <summary>Call records: the ICallEvents port into the durable spool, the drainer into PostgreSQL, the store behind the API.</summary>
    public static IServiceCollection AddCallHistory(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddOptions<CallHistoryOptions>().Bind(configuration.GetSection(CallHistoryOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallHistoryOptions>, CallHistoryOptionsValidation>();
        services.AddSingleton<CallSpool>();
        services.AddSingleton<CallRecordStore>();
        services.AddSingleton<CallDashboard>();
        services.AddSingleton<CallExport>();
        services.AddSingleton<ICallEvents, CallEventsRecorder>();
        services.AddHostedService<SpoolDrainer>();
        return services;
    }
}
