using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>Section <c>Recording</c>: where captures and MP3s live, the worker's parallelism, recording links.</summary>
public sealed class RecordingOptions
{
    public const string Section = "Recording";

    /// <summary>Directory of capture files (<c>Recording__CaptureDirectory</c>); local, persistent storage.</summary>
    public string CaptureDirectory { get; set; } = "captures";

    /// <summary>Directory of MP3 files, under <c>yyyy/MM/dd/{project}/</c> (<c>Recording__Directory</c>); may be shared storage.</summary>
    public string Directory { get; set; } = "recordings";

    /// <summary>Captures encoded at once (<c>Recording__Parallelism</c>).</summary>
    public int Parallelism { get; set; } = 1;

    /// <summary>Captures waiting in memory for the worker (<c>Recording__QueueCapacity</c>); beyond it they wait on disk.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// MP3 bit rate per channel, kbit/s (<c>Recording__BitrateKbps</c>): 8, 16, 24 or 32. From 24 up the LAME info frame
    /// fits in a frame, so players know the exact length; below it they may show up to ~0.1 s more.
    /// </summary>
    public int BitrateKbps { get; set; } = 24;

    /// <summary>Seconds between attempts to mark a recording ready while PostgreSQL is failing or the record is not there yet.</summary>
    public int RetrySeconds { get; set; } = 5;

    /// <summary>Key that signs recording links (<c>Recording__LinkSecret</c>), at least 32 characters; empty: no links, API key only.</summary>
    public string LinkSecret { get; set; } = string.Empty;

    /// <summary>Hours a recording link stays valid (<c>Recording__LinkLifetimeHours</c>).</summary>
    public int LinkLifetimeHours { get; set; } = 24;
}

internal sealed class RecordingOptionsValidation : IValidateOptions<RecordingOptions>
{
    public ValidateOptionsResult Validate(string? name, RecordingOptions options)
    {
        var failures = new List<string>();
        foreach (var (setting, path) in new[] { ("Recording:CaptureDirectory", options.CaptureDirectory), ("Recording:Directory", options.Directory) })
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                failures.Add($"{setting} is required");
                continue;
            }

            try
            {
                System.IO.Directory.CreateDirectory(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{setting} '{path}' cannot be created: {ex.Message}");
            }
        }

        if (options.Parallelism is < 1 or > 64)
        {
            failures.Add($"Recording:Parallelism must be between 1 and 64, got {options.Parallelism}");
        }

        if (options.QueueCapacity is < 1 or > 1_000_000)
        {
            failures.Add($"Recording:QueueCapacity must be between 1 and 1000000, got {options.QueueCapacity}");
        }

        if (options.BitrateKbps is not (8 or 16 or 24 or 32))
        {
            failures.Add($"Recording:BitrateKbps must be 8, 16, 24 or 32, got {options.BitrateKbps}");
        }

        if (options.RetrySeconds is < 1 or > 3600)
        {
            failures.Add($"Recording:RetrySeconds must be between 1 and 3600, got {options.RetrySeconds}");
        }

        if (options.LinkSecret.Length is > 0 and < 32)
        {
            failures.Add("Recording:LinkSecret must be at least 32 characters (or empty to serve recordings by API key only)");
        }

        if (options.LinkLifetimeHours is < 1 or > 24 * 365)
        {
            failures.Add($"Recording:LinkLifetimeHours must be between 1 and 8760, got {options.LinkLifetimeHours}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
