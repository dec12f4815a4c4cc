using System.Buffers;
using System.Text.Json;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.NumberPool.Routing;
using Microsoft.AspNetCore.Http;

namespace Calltracking.Edge.NumberPool.Site;

/// <summary>
/// The answer to a number request: <c>{"phone","formatted","script_id","kind","css_selector","replaceable_numbers",
/// "numbers_version","heartbeat_seconds","status"}</c>. Everything after <c>kind</c> is the same for every answer of a
/// script, and the numbers are most of it (a 1,000-number pool is about 14 KB), so that part is encoded once per cached
/// script and each request writes only the head. Under <c>lease 10 wrk</c> the whole answer built per request cost
/// about 19 KB of allocation and a 14 KB UTF-16 → UTF-8 transcoding on every request. A request that names the
/// <c>numbers_version</c> it holds (the counter keeps the list in the browser's storage) gets the answer without
/// <c>css_selector</c> and <c>replaceable_numbers</c>: a page view after the first sends a few hundred bytes, not the pool.
/// </summary>
internal sealed class NumberAnswer(ReadOnlyMemory<byte> head, byte[] tail) : IResult
{
    /// <summary>
    /// A script's <c>numbers_version</c> (a short hash of the selector and the numbers, what the counter keeps between
    /// page views) and its two tails: with the selector and the numbers, and without them.
    /// </summary>
    public static (string Version, byte[] Full, byte[] Short) Tails(ScriptRecord script, string cssSelectorJson, string replaceableNumbersJson)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(cssSelectorJson + "\n" + replaceableNumbersJson));
        var version = Convert.ToHexStringLower(hash.AsSpan(0, 8));
        return (version, Tail(script, cssSelectorJson, replaceableNumbersJson, version), Tail(script, null, null, version));
    }

    /// <summary>The bytes after the head's <c>kind</c> value up to the closing brace, as <see cref="Utf8JsonWriter"/> writes them; without <paramref name="cssSelectorJson"/> and <paramref name="replaceableNumbersJson"/> (null) it leaves them out.</summary>
    private static byte[] Tail(ScriptRecord script, string? cssSelectorJson, string? replaceableNumbersJson, string version)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (replaceableNumbersJson?.Length ?? 0) + (cssSelectorJson?.Length ?? 0));
        using var writer = new Utf8JsonWriter(buffer);
        WriteHead(writer, script, string.Empty, string.Empty, string.Empty);
        writer.Flush();
        var headLength = buffer.WrittenCount;
        if (cssSelectorJson is not null && replaceableNumbersJson is not null)
        {
            writer.WritePropertyName("css_selector");
            writer.WriteRawValue(cssSelectorJson, skipInputValidation: true);
            writer.WritePropertyName("replaceable_numbers");
            writer.WriteRawValue(replaceableNumbersJson, skipInputValidation: true);
        }

        writer.WriteString("numbers_version", version);
        writer.WriteNumber("heartbeat_seconds", Math.Max(5, script.LeaseGraceSeconds / 3));
        writer.WriteString("status", "success");
        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan[headLength..].ToArray();
    }

    /// <param name="held">The <c>numbers_version</c> the page sent, if any: when it is current, the list is left out.</param>
    public static NumberAnswer For(SiteScript site, string number, string formatted, LeaseKind kind, string? held = null)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteHead(writer, site.Script, number, formatted, KindName(kind));
        }

        return new NumberAnswer(buffer.WrittenMemory, held == site.NumbersVersion ? site.ShortAnswerTail : site.AnswerTail);
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = head.Length + tail.Length;
        response.BodyWriter.Write(head.Span);
        response.BodyWriter.Write(tail);
        await response.BodyWriter.FlushAsync();
    }

    private static void WriteHead(Utf8JsonWriter writer, ScriptRecord script, string number, string formatted, string kind)
    {
        writer.WriteStartObject();
        writer.WriteString("phone", number);
        writer.WriteString("formatted", formatted);
        writer.WriteNumber("script_id", script.Id);
        writer.WriteString("kind", kind);
    }

    private static string KindName(LeaseKind kind) => kind switch
    {
        LeaseKind.Exclusive => "exclusive",
        LeaseKind.Renewed => "renewed",
        LeaseKind.Shared => "shared",
        LeaseKind.Fallback => "fallback",
        LeaseKind.Empty => "empty",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
