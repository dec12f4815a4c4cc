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

        Assert.Equal(Expected(site, number, formatted, kind.ToString().ToLowerInvariant(), withList: true), body.ToArray());
        Assert.Equal(body.Length, http.Response.ContentLength);
        Assert.Equal("application/json; charset=utf-8", http.Response.ContentType);

        // A page holding the current version gets the answer without the list; a stale or unknown version gets it all.
        foreach (var (held, withList) in new[] { (site.NumbersVersion, false), ("0123456789abcdef", true), (string.Empty, true) })
        {
            var again = new DefaultHttpContext();
            using var answer = new MemoryStream();
            again.Response.Body = answer;
            await NumberAnswer.For(site, number, formatted, kind, held).ExecuteAsync(again);
            Assert.Equal(Expected(site, number, formatted, kind.ToString().ToLowerInvariant(), withList), answer.ToArray());
        }
    }

    [Fact]
    public void The_version_follows_the_numbers_and_the_selector()
    {
        var script = new ScriptRecord { Id = 1, ProjectId = 7, LeaseGraceSeconds = 150, CssSelector = "[]" };
        var a = new SiteScript(script, null, null, "[\".a\"]", "[\"74951234567\"]").NumbersVersion;
        Assert.Matches("^[0-9a-f]{16}$", a);
        Assert.Equal(a, new SiteScript(script with { Id = 2 }, null, null, "[\".a\"]", "[\"74951234567\"]").NumbersVersion);
        Assert.NotEqual(a, new SiteScript(script, null, null, "[\".a\"]", "[\"74951234568\"]").NumbersVersion);
        Assert.NotEqual(a, new SiteScript(script, null, null, "[\".b\"]", "[\"74951234567\"]").NumbersVersion);
    }

    /// <summary>The answer as one writer writes the whole object.</summary>
    private static byte[] Expected(SiteScript site, string number, string formatted, string kind, bool withList)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("phone", number);
            writer.WriteString("formatted", formatted);
            writer.WriteNumber("script_id", site.Script.Id);
            writer.WriteString("kind", kind);
            if (withList)
            {
                writer.WritePropertyName("css_selector");
                writer.WriteRawValue(site.CssSelectorJson, skipInputValidation: true);
                writer.WritePropertyName("replaceable_numbers");
                writer.WriteRawValue(site.ReplaceableNumbersJson, skipInputValidation: true);
            }

            writer.WriteString("numbers_version", site.NumbersVersion);
            writer.WriteNumber("heartbeat_seconds", Math.Max(5, site.Script.LeaseGraceSeconds / 3));
            writer.WriteString("status", "success");
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
