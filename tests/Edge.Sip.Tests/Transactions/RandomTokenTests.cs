using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;

namespace Calltracking.Edge.Sip.Tests.Transactions;

public sealed class RandomTokenTests
{
    [Fact]
    public async Task Tags_branches_and_call_ids_are_lowercase_hex_of_their_length_and_never_repeat()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        // Several threads, each across many refills of its block of random bytes.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                foreach (var (token, length) in new[] { (SipStack.NewTag(), 16), (SipStack.NewCallId(), 32), (SipStack.NewBranch()[ViaHeader.MagicCookie.Length..], 20) })
                {
                    Assert.Equal(length, token.Length);
                    Assert.True(token.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')), token);
                    Assert.True(seen.TryAdd(token, true), $"{token} repeated");
                }
            }
        })));
        Assert.Equal(60_000, seen.Count);
    }
}
