namespace Calltracking.Shared.Registrations;

/// <summary>One registered contact of an account (RFC 3261 §10.3).</summary>
/// <param name="ContactUri">The Contact URI as registered.</param>
/// <param name="ReceivedFrom">Where the REGISTER came from (<c>transport:ip:port</c>), used to reach NATed PBXes.</param>
/// <param name="EdgeInstance">The edge instance holding the PBX's connection or flow.</param>
public sealed record ContactBinding(
    string ContactUri,
    string ReceivedFrom,
    string EdgeInstance,
    string CallId,
    long CSeq,
    DateTimeOffset ExpiresAt,
    float QValue = 1.0f);
