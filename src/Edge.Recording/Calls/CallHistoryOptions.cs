using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>Section <c>CallHistory</c>.</summary>
public sealed class CallHistoryOptions
{
    public const string Section = "CallHistory";

    /// <summary>Directory of the durable call-event spool (<c>CallHistory__SpoolDirectory</c>); must be local, persistent storage.</summary>
    public string SpoolDirectory { get; set; } = "spool";

    /// <summary>Most events written and fsync'd together (<c>CallHistory__SpoolBatchSize</c>).</summary>
    public int SpoolBatchSize { get; set; } = 512;

    /// <summary>
    /// How long the spool gathers events after the first one before it writes and fsyncs a segment
    /// (<c>CallHistory__SpoolGatherMilliseconds</c>). This is a group commit: under load one fsync, and one PostgreSQL
    /// commit when the segment is drained, covers every event of the window instead of each wake-up. The call path
    /// never waits for it. 0 writes at once.
    /// </summary>
    public int SpoolGatherMilliseconds { get; set; } = 20;

    /// <summary>
    /// Most spooled events kept in memory for the drainer (<c>CallHistory__SpoolEventsHeld</c>). A fresh segment is
    /// offered with its events so they are not read back from the file; past this many waiting (a PostgreSQL outage),
    /// segments are offered by file only and read when their turn comes.
    /// </summary>
    public int SpoolEventsHeld { get; set; } = 100_000;

    /// <summary>Seconds between attempts to drain the spool while PostgreSQL is failing (<c>CallHistory__RetrySeconds</c>).</summary>
    public int RetrySeconds { get; set; } = 2;

    /// <summary>
    /// Hours after which a relayed call still ACTIVE is closed as abandoned (<c>CallHistory__AbandonedAfterHours</c>;
    /// 0: never): its edge stopped without ending it and did not start again with the same spool, which would have
    /// closed it. It must be longer than <c>Routing:MaxCallSeconds</c>, the longest a live call can last (the host checks
    /// both at start). Checked hourly by every edge.
    /// </summary>
    public int AbandonedAfterHours { get; set; } = 24;

    /// <summary>Base URL of recording links (<c>CallHistory__PublicBaseUrl</c>), e.g. https://edge.example.com.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:8080";
}

internal sealed class CallHistoryOptionsValidation : IValidateOptions<CallHistoryOptions>
{
    public ValidateOptionsResult Validate(string? name, CallHistoryOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SpoolDirectory))
        {
            failures.Add("CallHistory:SpoolDirectory is required");
        }
        else
        {
            try
            {
                Directory.CreateDirectory(options.SpoolDirectory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add($"CallHistory:SpoolDirectory '{options.SpoolDirectory}' cannot be created: {ex.Message}");
            }
        }

        if (options.SpoolGatherMilliseconds is < 0 or > 1_000)
        {
            failures.Add($"CallHistory:SpoolGatherMilliseconds must be between 0 and 1000, got {options.SpoolGatherMilliseconds}");
        }

        if (options.SpoolEventsHeld is < 0 or > 10_000_000)
        {
            failures.Add($"CallHistory:SpoolEventsHeld must be between 0 and 10000000, got {options.SpoolEventsHeld}");
        }

        if (options.SpoolBatchSize is < 1 or > 100_000)
        {
            failures.Add($"CallHistory:SpoolBatchSize must be between 1 and 100000, got {options.SpoolBatchSize}");
        }

        if (options.AbandonedAfterHours is < 0 or > 8_760)
        {
            failures.Add($"CallHistory:AbandonedAfterHours must be between 0 (never) and 8760, got {options.AbandonedAfterHours}");
        }

        if (options.RetrySeconds is < 1 or > 600)
        {
            failures.Add($"CallHistory:RetrySeconds must be between 1 and 600, got {options.RetrySeconds}");
        }

        if (!Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out _))
        {
            failures.Add($"CallHistory:PublicBaseUrl '{options.PublicBaseUrl}' is not an absolute URL");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
