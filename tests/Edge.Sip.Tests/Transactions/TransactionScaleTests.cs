using System.Globalization;
using System.Net;
using System.Text;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Transactions;

/// <summary>
/// Many transactions at once: every one is answered, its retransmission is absorbed by what it left lingering, and all
/// are gone when their timer J is up (one linger queue, no sweep over a table). Correctness at scale only; cost lives
/// in benchmarks.
/// </summary>
public sealed class TransactionScaleTests
{
    // Simulated time gets slow with many timers (50k transactions took 37 s here, 5k about 1 s), so the count stays modest.
    private const int Count = 5_000;

    [Fact]
    public async Task Five_thousand_live_transactions_end_on_their_own_timers()
    {
        var time = new FakeTimeProvider();
        await using var edge = await StackHarness.StartAsync(time);
        // Answers go to the discard port on 127.0.0.2, where no test socket listens: thousands of in-flight 200s
        // must not land on a port another test class reuses for its peer a moment later.
        var nowhere = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 9);
        var source = new SipEndPoint(SipTransportKind.Udp, nowhere);
        var template = SipPeer.Options(nowhere, "z9hG4bKscale-{0}", "scale-{0}").ReplaceLineEndings("\r\n");

        var messages = new byte[Count][];
        for (var i = 0; i < Count; i++)
        {
            messages[i] = Encoding.ASCII.GetBytes(template.Replace("{0}", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
            edge.Stack.OnMessage(messages[i], source, datagram: true);
        }

        Assert.Equal(Count, edge.Stack.ServerTransactionCount);

        // Retransmissions half-way through timer J are absorbed by the transactions, not new ones.
        time.Advance(TimeSpan.FromSeconds(16));
        for (var i = 0; i < Count; i += 10)
        {
            edge.Stack.OnMessage(messages[i], source, datagram: true);
        }

        Assert.Equal(Count, edge.Stack.ServerTransactionCount);
        time.Advance(TimeSpan.FromMilliseconds(15_999));
        Assert.Equal(Count, edge.Stack.ServerTransactionCount);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, edge.Stack.ServerTransactionCount);
    }
}
