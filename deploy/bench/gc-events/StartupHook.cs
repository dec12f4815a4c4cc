using System.Diagnostics.Tracing;
using System.Globalization;

/// <summary>Loaded by <c>DOTNET_STARTUP_HOOKS</c>: starts the listener for the life of the process.</summary>
internal static class StartupHook
{
    private static GcPauseListener? listener;

    public static void Initialize() => listener = new GcPauseListener(Environment.GetEnvironmentVariable("GC_EVENTS_DIR") ?? Path.GetTempPath());
}

/// <summary>
/// One line per pause, <c>START_UNIX_S END_UNIX_S GENERATION REASON PROMOTED_FROM_GEN0 PROMOTED_FROM_GEN1</c>: the
/// runtime's GC events (keyword GC, level informational), from the suspension's start to the restart's end, with
/// wall-clock times a capture can be matched to, and the bytes the collection kept of the young generations (what a
/// pause's length follows).
/// </summary>
internal sealed class GcPauseListener(string directory) : EventListener
{
    private readonly StreamWriter log = new(Path.Combine(directory, $"gc-{Environment.ProcessId}.log")) { AutoFlush = true };
    private DateTime suspended;
    private int generation = -1;
    private string reason = string.Empty;
    private long promoted0 = -1;
    private long promoted1 = -1;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Informational, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        switch (e.EventName)
        {
            case "GCSuspendEEBegin_V1":
                suspended = e.TimeStamp;
                break;
            case "GCStart_V2" when e.Payload is { Count: > 2 } payload:
                generation = Convert.ToInt32(payload[1], CultureInfo.InvariantCulture);
                reason = Convert.ToString(payload[2], CultureInfo.InvariantCulture) ?? string.Empty;
                break;
            case "GCHeapStats_V2" when e.Payload is { Count: > 3 } payload:
                promoted0 = Convert.ToInt64(payload[1], CultureInfo.InvariantCulture);
                promoted1 = Convert.ToInt64(payload[3], CultureInfo.InvariantCulture);
                break;
            case "GCRestartEEEnd_V1" when suspended != default:
                lock (log)
                {
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Unix(suspended):F6} {Unix(e.TimeStamp):F6} {generation} {reason} {promoted0} {promoted1}"));
                }

                suspended = default;
                generation = -1;
                promoted0 = promoted1 = -1;
                break;
        }
    }

    private static double Unix(DateTime time) => (time.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
}
