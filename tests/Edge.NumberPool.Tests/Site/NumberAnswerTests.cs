using System.Buffers;
using System.Text.Json;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Edge.NumberPool.Leases;
using Calltracking.Edge.NumberPool.Routing;
using Calltracking.Edge.NumberPool.Site;
using Microsoft.AspNetCore.Http;

namespace Calltracking.Edge.NumberPool.Tests.Site;

/// <summary>The number answer, head per request and tail per script, is byte for byte the object written in one go.</summary>
public sealed class NumberAnswerTests
{
    public static TheoryData<string, string, string, LeaseKind, int> Answers => new()
    {
        { "74951234567", "+7 (495) 123-45-67", """[".phone", "#top a[href^='tel:']"]""", LeaseKind.Exclusive, 150 },
        { "74951234567", "8 <495> 123&45'67", "[]", LeaseKind.Shared, 9 },
        { "74950000000", "74950000000", """["\u0444\u043e\u043d"]""", LeaseKind.Renewed, 30 },
        { "74951112233", "тел. 8 495 111-22-33", """[".a"]""", LeaseKind.Fallback, 3600 },
        { "74951112233", "\"quoted\"\\", "[]", LeaseKind.Empty, 0 },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Head_and_cached_tail_are_the_whole_answer(string number, string formatted, string cssSelector, LeaseKind kind, int grace)
    {
        var script = new ScriptRecord { Id = 4242, ProjectId = 7, LeaseGraceSeconds = grace, CssSelector = cssSelector };
        var numbers = JsonSerializer.Serialize(new[] { "74951234567", "74950000000", "+7 (495) 000" });
        var css = JsonDocument.Parse(cssSelector).RootElement.GetRawText();
        var site = new SiteScript(script, null, null, css, numbers);

        var http = new DefaultHttpContext();
        using var body = new MemoryStream();
        http.Response.Body = body;
        await NumberAnswer.For(site, number, formatted, kind).ExecuteAsync(http);

        Assert.Equal(Expected(site, number, formatted, kind.ToString().ToLowerInvariant()), body.ToArray());
        Assert.Equal(body.Length, http.Response.ContentLength);
        Assert.Equal("application/json; charset=utf-8", http.Response.ContentType);
    }

    /// <summary>The answer as one writer writes the whole object.</summary>
    private static byte[] Expected(SiteScript site, string number, string formatted, string kind)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("phone", number);
            writer.WriteString("formatted", formatted);
            writer.WriteNumber("script_id", site.Script.Id);
            writer.WriteString("kind", kind);
            writer.WritePropertyName("css_selector");
            writer.WriteRawValue(site.CssSelectorJson, skipInputValidation: true);
            writer.WritePropertyName("replaceable_numbers");
            writer.WriteRawValue(site.ReplaceableNumbersJson, skipInputValidation: true);
            writer.WriteNumber("heartbeat_seconds", Math.Max(5, site.Script.LeaseGraceSeconds / 3));
            writer.WriteString("status", "success");
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
