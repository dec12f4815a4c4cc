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
        services.AddOptions<Recordings.RecordingOptions>().Bind(configuration.GetSection(Recordings.RecordingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Recordings.RecordingOptions>, Recordings.RecordingOptionsValidation>();
        services.AddSingleton<Recordings.RecordingMetrics>();
        services.AddSingleton<Recordings.RecordingStore>();
        services.AddSingleton<Recordings.RecordingLinks>();
        services.AddSingleton<Recordings.FileCallRecorder>();
        services.AddSingleton<Shared.Media.ICallRecorder>(sp => sp.GetRequiredService<Recordings.FileCallRecorder>());
        services.AddHostedService<Recordings.RecordingWorker>();
        services.AddHostedService<SpoolDrainer>();
        services.AddHostedService<AbandonedCallSweeper>();
        services.AddOptions<Webhooks.WebhookOptions>().Bind(configuration.GetSection(Webhooks.WebhookOptions.Section)).ValidateOnStart()
            .Validate(o => o.RetryBaseSeconds is >= 1 and <= 86400, "Webhooks:RetryBaseSeconds must be between 1 and 86400")
            .Validate(o => o.RetryMaxSeconds >= o.RetryBaseSeconds, "Webhooks:RetryMaxSeconds must be at least Webhooks:RetryBaseSeconds")
            .Validate(o => o.GiveUpAfterHours is >= 1 and <= 720, "Webhooks:GiveUpAfterHours must be between 1 and 720")
            .Validate(o => o.TimeoutSeconds is >= 1 and <= 120, "Webhooks:TimeoutSeconds must be between 1 and 120");
        services.AddSingleton<Webhooks.WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Webhooks.WebhookDispatcher>());
        return services;
    }
}
