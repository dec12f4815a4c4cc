namespace Calltracking.Edge.Recording.Webhooks;

/// <summary>Section <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Allow webhook URLs that resolve to loopback, private or link-local addresses (<c>Webhooks__AllowPrivateTargets</c>).</summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>Seconds before the first retry; each retry doubles it (<c>Webhooks__RetryBaseSeconds</c>).</summary>
    public int RetryBaseSeconds { get; set; } = 30;

    /// <summary>Longest wait between retries, seconds (<c>Webhooks__RetryMaxSeconds</c>).</summary>
    public int RetryMaxSeconds { get; set; } = 3600;

    /// <summary>Hours a webhook is retried before it is marked failed (<c>Webhooks__GiveUpAfterHours</c>).</summary>
    public int GiveUpAfterHours { get; set; } = 24;

    /// <summary>Seconds one delivery attempt may take (<c>Webhooks__TimeoutSeconds</c>).</summary>
    public int TimeoutSeconds { get; set; } = 10;
}
