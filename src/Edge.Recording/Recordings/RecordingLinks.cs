using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Calltracking.Edge.Recording.Calls;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>
/// Recording links: <c>{base}/calltracking/call/{id}/file/{expires}.{signature}</c>, the signature an HMAC-SHA256 of
/// the call id and the expiry under <c>Recording:LinkSecret</c>. A project that forbids listening by link (or an
/// edge without a secret) gets the API's file URL instead, which needs the project's API key.
/// </summary>
public sealed class RecordingLinks(IOptions<RecordingOptions> recording, IOptions<CallHistoryOptions> history, TimeProvider time)
{
    private readonly byte[] secret = Encoding.UTF8.GetBytes(recording.Value.LinkSecret);
    private readonly string baseUrl = history.Value.PublicBaseUrl.TrimEnd('/');

    /// <summary>The link for a call's recording; null while there is no ready recording.</summary>
    public string? For(CallRow call)
    {
        if (call.RecordingState != "ready")
        {
            return null;
        }

        if (call.ForbidLinks || secret.Length == 0)
        {
            return FormattableString.Invariant($"{baseUrl}/api/v1/project/calltracking/call/{call.Id}/file?project={call.ProjectId}");
        }

        var expires = time.GetUtcNow().AddHours(recording.Value.LinkLifetimeHours).ToUnixTimeSeconds();
        return FormattableString.Invariant($"{baseUrl}/calltracking/call/{call.Id}/file/{Token(call.Id, expires)}");
    }

    internal string Token(Guid callId, long expiresUnix) =>
        expiresUnix.ToString(CultureInfo.InvariantCulture) + "." + Base64Url(Sign(callId, expiresUnix));

    /// <summary>Checks a link's token: well-formed, signed by this edge's secret for this call, not expired.</summary>
    public LinkCheck Check(Guid callId, string token)
    {
        if (secret.Length == 0)
        {
            return LinkCheck.Invalid;
        }

        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(token.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return LinkCheck.Invalid;
        }

        Span<byte> given = stackalloc byte[64];
        if (!TryFromBase64Url(token.AsSpan(dot + 1), given, out var length) || length != 32
            || !CryptographicOperations.FixedTimeEquals(given[..length], Sign(callId, expires)))
        {
            return LinkCheck.Invalid;
        }

        return time.GetUtcNow().ToUnixTimeSeconds() > expires ? LinkCheck.Expired : LinkCheck.Valid;
    }

    private byte[] Sign(Guid callId, long expiresUnix) =>
        HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(FormattableString.Invariant($"{callId:N}.{expiresUnix}")));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryFromBase64Url(ReadOnlySpan<char> text, Span<byte> output, out int written)
    {
        written = 0;
        if (text.Length is 0 or > 86)
        {
            return false;
        }

        Span<char> padded = stackalloc char[88];
        text.CopyTo(padded);
        var length = text.Length;
        for (var i = 0; i < length; i++)
        {
            padded[i] = padded[i] switch { '-' => '+', '_' => '/', var c => c };
        }

        while (length % 4 != 0)
        {
            padded[length++] = '=';
        }

        return Convert.TryFromBase64Chars(padded[..length], output, out written);
    }
}

public enum LinkCheck
{
    Valid,
    Invalid,
    Expired,
}
