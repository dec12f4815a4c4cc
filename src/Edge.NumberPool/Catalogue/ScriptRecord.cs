namespace Calltracking.Edge.NumberPool.Catalogue;

/// <summary>A script row as stored.</summary>
public sealed record ScriptRecord
{
    public long Id { get; init; }
    public long ProjectId { get; init; }
    public string Name { get; init; } = string.Empty;
    public bool IsEnabled { get; init; }
    public bool IsDeleted { get; init; }
    public DateTime CreatedAt { get; init; }
    public string CalltrackingType { get; init; } = "dynamic";
    public string? StaticSource { get; init; }
    public string CssSelector { get; init; } = "[]";
    public string PhoneFormat { get; init; } = "8 (XXX) XXX-XX-XX";
    public string RedirectType { get; init; } = "phone";
    public string RedirectValue { get; init; } = string.Empty;
    public string? SipTrunkPostfix { get; init; }
    public string? Segments { get; init; }
    public int TargetCallTime { get; init; }
    public string Integration { get; init; } = "{}";
    public int LeaseGraceSeconds { get; init; } = 150;
    public int LeaseMaxAgeSeconds { get; init; } = 86400;
    public string ExhaustedPolicy { get; init; } = "share";
    public string? FallbackPhone { get; init; }
    public int RingTimeoutSeconds { get; init; } = 60;
    public decimal CallCost { get; init; }
    public int CallCount { get; init; }
}

/// <summary>A phone row as stored, with its script when attached.</summary>
public sealed record PhoneRecord
{
    public long Id { get; init; }
    public long ProjectId { get; init; }
    public string Phone { get; init; } = string.Empty;
    public string? Prefix { get; init; }
    public long? ScriptId { get; init; }
    public bool IsExternal { get; init; }
    public DateTime? LastUseDate { get; init; }
    public int CallCount { get; init; }
    public DateTime CreatedAt { get; init; }
}
