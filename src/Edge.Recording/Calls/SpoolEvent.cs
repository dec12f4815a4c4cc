using System.Text.Json;
using System.Text.Json.Serialization;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>One call event as written to the spool (one JSON line). Fields unused by a kind stay null.</summary>
public sealed record SpoolEvent
{
    public required string Kind { get; init; }
    public required Guid CallId { get; init; }
    public required DateTimeOffset At { get; init; }
    public long? ProjectId { get; init; }
    public long? ScriptId { get; init; }
    public long? PhoneId { get; init; }
    public string? Callee { get; init; }
    public string? Caller { get; init; }
    public string? CallerRaw { get; init; }
    public string? VisitId { get; init; }
    public string? Marker { get; init; }
    public string? Confidence { get; init; }
    public string? StaticSource { get; init; }
    public string? RedirectType { get; init; }
    public string? Target { get; init; }
    public string? SipCallId { get; init; }
    public string? City { get; init; }
    public bool? Recorded { get; init; }
    public string? Status { get; init; }
    public int? SipCode { get; init; }
    public string? Reason { get; init; }

    /// <summary>On an end: when the call first rang and when it was answered, repeated from those events.</summary>
    public DateTimeOffset? RingingAt { get; init; }

    /// <inheritdoc cref="RingingAt"/>
    public DateTimeOffset? AnsweredAt { get; init; }

    /// <summary>
    /// On a ringing or answered event: the call's end will repeat this time, so the event need not be written on its
    /// own (nothing reads those times before the end). Null in segments from before the end carried them: those are
    /// written as they come.
    /// </summary>
    public bool? RepeatedAtEnd { get; init; }
}

/// <summary>
/// The spool's JSON, generated at build time: events are written by the generated fast path (no reflection-driven
/// converter walk per event), and null fields are left out, so a ringing or an answered event is its few set fields
/// instead of twenty-odd nulls. Reading takes both forms (a missing field is null), so segments written with the nulls
/// by earlier versions read the same.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SpoolEvent))]
internal sealed partial class SpoolEventJson : JsonSerializerContext;
