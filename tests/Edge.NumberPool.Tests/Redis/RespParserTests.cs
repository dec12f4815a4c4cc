using System.Text;
using Calltracking.Edge.NumberPool.Redis;

namespace Calltracking.Edge.NumberPool.Tests.Redis;

public sealed class RespParserTests
{
    private static RespReply Complete(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(RespParseStatus.Complete, RespParser.TryParse(bytes, out var reply, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        return reply;
    }

    [Fact]
    public void Reads_every_reply_type()
    {
        Assert.Equal(new RespReply(RespKind.SimpleString, "OK", 0, null), Complete("+OK\r\n"));
        Assert.Equal(new RespReply(RespKind.Error, "NOSCRIPT No matching script", 0, null), Complete("-NOSCRIPT No matching script\r\n"));
        Assert.Equal(-42, Complete(":-42\r\n").AsInt64());
        Assert.Equal("héllo\r\nworld", Complete("$13\r\nhéllo\r\nworld\r\n").AsString());
        Assert.Equal(string.Empty, Complete("$0\r\n\r\n").AsString());
        Assert.True(Complete("$-1\r\n").IsNil);
        Assert.True(Complete("*-1\r\n").IsNil);
        Assert.Empty(Complete("*0\r\n").AsArray());
    }

    [Fact]
    public void Reads_nested_arrays_with_nils_inside()
    {
        var reply = Complete("*3\r\n$5\r\n12345\r\n$-1\r\n*2\r\n:7\r\n+x\r\n");
        var items = reply.AsArray();
        Assert.Equal("12345", items[0].AsString());
        Assert.Null(items[1].AsString());
        Assert.Equal(7, items[2].AsArray()[0].AsInt64());
        Assert.Equal("7", items[2].AsArray()[0].AsString());
        Assert.Equal("x", items[2].AsArray()[1].AsString());
    }

    [Fact]
    public void Every_prefix_of_a_reply_is_incomplete_and_two_replies_are_read_one_at_a_time()
    {
        var bytes = Encoding.UTF8.GetBytes("*2\r\n$3\r\nabc\r\n:1\r\n+PONG\r\n");
        const int first = 17;
        for (var length = 0; length < first; length++)
        {
            Assert.Equal(RespParseStatus.Incomplete, RespParser.TryParse(bytes.AsSpan(0, length), out _, out _));
        }

        Assert.Equal(RespParseStatus.Complete, RespParser.TryParse(bytes, out var reply, out var consumed));
        Assert.Equal(first, consumed);
        Assert.Equal("abc", reply.AsArray()[0].AsString());
        Assert.Equal(RespParseStatus.Complete, RespParser.TryParse(bytes.AsSpan(consumed), out var next, out var rest));
        Assert.Equal(("PONG", bytes.Length - first), (next.AsString(), rest));
    }

    [Theory]
    [InlineData("?what\r\n")] // unknown type
    [InlineData(":12a\r\n")] // not a number
    [InlineData(":\r\n")] // empty number
    [InlineData("$-2\r\n")] // length below -1
    [InlineData("$3\r\nabcd\r\n")] // bulk longer than its length
    [InlineData("+OK\rX")] // CR without LF
    [InlineData("*2\r\n:1\r\n!\r\n")] // a bad item inside an array
    [InlineData("$99999999999\r\n")] // bulk over the limit
    [InlineData("*-5\r\n")] // count below -1
    public void Rejects_what_is_not_RESP(string text) =>
        Assert.Equal(RespParseStatus.Invalid, RespParser.TryParse(Encoding.UTF8.GetBytes(text), out _, out _));

    [Fact]
    public void Rejects_nesting_deeper_than_the_limit()
    {
        var deep = string.Concat(Enumerable.Repeat("*1\r\n", RespParser.MaxDepth + 1)) + ":1\r\n";
        Assert.Equal(RespParseStatus.Invalid, RespParser.TryParse(Encoding.UTF8.GetBytes(deep), out _, out _));
        var allowed = string.Concat(Enumerable.Repeat("*1\r\n", RespParser.MaxDepth)) + ":1\r\n";
        Assert.Equal(RespParseStatus.Complete, RespParser.TryParse(Encoding.UTF8.GetBytes(allowed), out _, out _));
    }

    [Fact]
    public void A_huge_array_count_allocates_nothing_before_its_bytes_arrive()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(RespParseStatus.Incomplete, RespParser.TryParse("*1000000\r\n:1\r\n"u8, out _, out _));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024);
    }

    [Fact]
    public void Conversions_refuse_the_wrong_kind()
    {
        Assert.Throws<InvalidCastException>(() => Complete(":1\r\n").AsArray());
        Assert.Throws<InvalidCastException>(() => Complete("*0\r\n").AsString());
        Assert.Throws<InvalidCastException>(() => Complete("+abc\r\n").AsInt64());
    }
}
