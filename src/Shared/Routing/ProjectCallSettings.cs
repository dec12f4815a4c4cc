namespace Calltracking.Shared.Routing;

/// <summary>The per-project switches that change how the edge handles a call.</summary>
public sealed record ProjectCallSettings
{
    /// <summary>Custom INVITE headers, <c>name → template</c>, templates hold <c>{placeholders}</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> CustomHeaders { get; init; } = [];
    /// <summary>SIP account → extension (<c>roistat123_1=1231</c>).</summary>
    public IReadOnlyDictionary<string, string> SipAccountMap { get; init; } = new Dictionary<string, string>();
    /// <summary>Dialed number → number forwarded (<c>74951111111=74992222222</c>).</summary>
    public IReadOnlyDictionary<string, string> NumberMap { get; init; } = new Dictionary<string, string>();
    public bool NoRecord { get; init; }
    public bool NoNormalizeCaller { get; init; }
    public bool SendTrunkAddress { get; init; }
    public bool ForbidListeningByLink { get; init; }
    public bool RecordStereo { get; init; }

    public static ProjectCallSettings Default { get; } = new();
}
