using System.Collections.Concurrent;
using Calltracking.Edge.Sip.Routing;

namespace Calltracking.Edge.Sip.Tests.Routing;

/// <summary>A dialog held as its Call-ID and tag is found by its <c>Call-ID|tag</c> text, and by nothing else.</summary>
public sealed class DialogIdTests
{
    [Theory]
    [InlineData("a84b4c76e66710@pc33.atlanta.com", "1928301774")]
    [InlineData("x", "")]
    public void The_text_key_finds_the_dialog(string callId, string tag)
    {
        var dialogs = new ConcurrentDictionary<DialogId, int>(DialogIdComparer.Instance);
        var lookup = dialogs.GetAlternateLookup<ReadOnlySpan<char>>();
        var id = new DialogId(callId, tag);
        dialogs[id] = 7;

        Assert.True(lookup.TryGetValue(CallRouter.DialogKey(callId, tag).AsSpan(), out var found));
        Assert.Equal(7, found);
        Assert.True(id.Matches(CallRouter.DialogKey(callId, tag)));
        Assert.Equal(CallRouter.DialogKey(callId, tag), id.ToString());
        Assert.Equal(string.GetHashCode(CallRouter.DialogKey(callId, tag)), DialogIdComparer.Instance.GetHashCode(id));
    }

    [Theory]
    [InlineData("k7@192.0.2.9|t9x")]
    [InlineData("k7@192.0.2.9|t")]
    [InlineData("k7@192.0.2.9-t9")]
    [InlineData("k7@192.0.2.8|t9")]
    [InlineData("k7@192.0.2.9t9|")]
    [InlineData("")]
    public void Any_other_text_does_not(string key)
    {
        var id = new DialogId("k7@192.0.2.9", "t9");
        var dialogs = new ConcurrentDictionary<DialogId, int>(DialogIdComparer.Instance) { [id] = 1 };

        Assert.False(id.Matches(key));
        Assert.False(dialogs.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key.AsSpan(), out _));
    }

    [Fact]
    public void A_dialog_longer_than_the_room_in_place_hashes_as_its_text()
    {
        var id = new DialogId(new string('c', DialogId.Room), "tag");
        var dialogs = new ConcurrentDictionary<DialogId, int>(DialogIdComparer.Instance) { [id] = 3 };

        Assert.True(dialogs.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id.ToString().AsSpan(), out var found));
        Assert.Equal(3, found);
        Assert.True(dialogs.ContainsKey(new DialogId(new string('c', DialogId.Room), "tag")));
    }

    [Fact]
    public void Written_in_place_it_is_its_text()
    {
        var id = new DialogId("abc@host", "f00d");
        Span<char> buffer = stackalloc char[DialogId.Room];

        Assert.Equal("abc@host|f00d", id.WriteTo(buffer).ToString());
        Assert.Equal(id.Length, id.WriteTo(buffer).Length);
    }
}
