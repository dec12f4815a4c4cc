using System.Runtime.CompilerServices;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Transactions;

/// <summary>
/// A finished transaction lingers as its key and the one message a retransmission gets back: the request, the
/// transaction object and the application behind it are free to go while retransmissions are still answered.
/// </summary>
public sealed class LingeringTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_finished_transaction_is_released_and_its_retransmissions_still_get_the_final_response()
    {
        var time = new FakeTimeProvider();
        var handler = new ForgettingHandler();
        await using var edge = await StackHarness.StartAsync(time, handler);
        using var peer = new SipPeer();
        var options = SipPeer.Options(peer.EndPoint, "z9hG4bKlinger1", "linger-1");
        await peer.SendAsync(edge.Stack.UdpEndPoint!, options);
        var first = (await peer.ReceiveAsync(Wait))!;
        Assert.Equal(200, first.StatusCode);

        Assert.True(await CollectedAsync(handler.Last!), "the stack still holds the finished transaction");
        await peer.SendAsync(edge.Stack.UdpEndPoint!, options);
        var again = (await peer.ReceiveAsync(Wait))!;
        Assert.Equal(200, again.StatusCode);
        Assert.Equal(first.Header(SipHeaderNames.To), again.Header(SipHeaderNames.To));
        Assert.Equal("z9hG4bKlinger1", again.TopVia!.Branch);
        Assert.Equal(1, handler.Count);
        Assert.Equal(1, edge.Stack.ServerTransactionCount);

        time.Advance(TimeSpan.FromSeconds(32));
        Assert.Equal(0, edge.Stack.ServerTransactionCount);
    }

    [Fact]
    public async Task An_acknowledged_2xx_is_acknowledged_again_by_the_stack_without_its_user()
    {
        var time = new FakeTimeProvider();
        await using var edge = await StackHarness.StartAsync(time);
        using var peer = new SipPeer();
        var user = new AcknowledgingUser(edge.Stack, peer);
        await StartInviteAsync(edge.Stack, peer, user);
        var invite = (await peer.ReceiveAsync(Wait))!;
        var ok = SipMessageWriter.ResponseTo(invite, 200, "OK", "pbx1").ToArray();
        await peer.SendAsync(edge.Stack.UdpEndPoint!, ok);
        var ack = (await peer.ReceiveAsync(Wait))!;
        Assert.Equal("ACK", ack.Method);

        Assert.True(await CollectedAsync(user.Transaction!), "the stack still holds the acknowledged transaction");
        await peer.SendAsync(edge.Stack.UdpEndPoint!, ok);
        var again = (await peer.ReceiveAsync(Wait))!;
        Assert.Equal("ACK", again.Method);
        Assert.Equal(ack.TopVia!.Branch, again.TopVia!.Branch);
        Assert.Equal(0, user.Retransmitted2xx);
        Assert.Equal(1, edge.Stack.ClientTransactionCount);

        time.Advance(TimeSpan.FromSeconds(32));
        Assert.Equal(0, edge.Stack.ClientTransactionCount);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task StartInviteAsync(SipStack stack, SipPeer peer, AcknowledgingUser user) =>
        await stack.SendRequestAsync(TransactionTimerTests.OutboundInvite(stack, peer, SipStack.NewBranch()), new SipEndPoint(SipTransportKind.Udp, peer.EndPoint), user);

    private static async Task<bool> CollectedAsync(WeakReference reference)
    {
        // The send that answered may still be unwinding on another thread: allow it a moment, bounded.
        for (var i = 0; i < 50 && reference.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(20);
        }

        return !reference.IsAlive;
    }

    /// <summary>Answers every request 200 and keeps only a weak reference to the last transaction.</summary>
    private sealed class ForgettingHandler : ISipRequestHandler
    {
        private int count;

        public WeakReference? Last { get; private set; }

        public int Count => count;

        public void OnRequest(ServerTransaction transaction)
        {
            Interlocked.Increment(ref count);
            Last = new WeakReference(transaction);
            _ = transaction.RespondAsync(200, "OK", "edge1");
        }

        public void OnAck(SipMessage ack, SipEndPoint source)
        {
        }

        public void OnStrayResponse(SipMessage response, SipEndPoint source)
        {
        }
    }

    /// <summary>A dialog's view of its INVITE: on the 2xx it sends the ACK and hands it to the transaction.</summary>
    private sealed class AcknowledgingUser(SipStack stack, SipPeer peer) : IClientTransactionUser
    {
        private int retransmitted;

        public WeakReference? Transaction { get; private set; }

        public int Retransmitted2xx => retransmitted;

        public void OnProvisional(ClientTransaction transaction, SipMessage response)
        {
        }

        public void OnFinal(ClientTransaction transaction, SipMessage response)
        {
            Transaction = new WeakReference(transaction);
            var ack = SipMessageWriter.Request("ACK", $"sip:pbx@127.0.0.1:{peer.EndPoint.Port}")
                .Add(SipHeaderNames.Via, stack.LocalVia(SipTransportKind.Udp, SipStack.NewBranch()))
                .Add(SipHeaderNames.MaxForwards, "70")
                .Add(SipHeaderNames.From, "<sip:edge@127.0.0.1>;tag=e1")
                .Add(response.HeaderLine(SipHeaderNames.To))
                .Add(SipHeaderNames.CallId, "out-1")
                .Add(SipHeaderNames.CSeq, "1 ACK")
                .ToArray();
            transaction.Acknowledge(ack);
            _ = stack.SendStatelessAsync(transaction.Target, ack, "ACK");
        }

        public void OnTransactionFailed(ClientTransaction transaction, int statusCode, string reason)
        {
        }

        public void OnRetransmitted2xx(ClientTransaction transaction, SipMessage response) => Interlocked.Increment(ref retransmitted);
    }
}
