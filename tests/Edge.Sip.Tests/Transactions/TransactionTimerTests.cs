using System.Collections.Concurrent;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Transactions;

/// <summary>RFC 3261 §17 behaviour on simulated time against a real UDP peer on loopback.</summary>
public sealed class TransactionTimerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private sealed class RecordingHandler(Action<ServerTransaction>? onRequest = null) : ISipRequestHandler
    {
        public ConcurrentQueue<ServerTransaction> Requests { get; } = new();

        public void OnRequest(ServerTransaction transaction)
        {
            Requests.Enqueue(transaction);
            onRequest?.Invoke(transaction);
        }

        public void OnAck(SipMessage ack, SipEndPoint source)
        {
        }

        public void OnStrayResponse(SipMessage response, SipEndPoint source)
        {
        }
    }

    private sealed class RecordingUser : IClientTransactionUser
    {
        public ConcurrentQueue<int> Finals { get; } = new();

        public ConcurrentQueue<int> Provisionals { get; } = new();

        public void OnProvisional(ClientTransaction transaction, SipMessage response) => Provisionals.Enqueue(response.StatusCode);

        public void OnFinal(ClientTransaction transaction, SipMessage response) => Finals.Enqueue(response.StatusCode);

        public void OnTransactionFailed(ClientTransaction transaction, int statusCode, string reason) => Finals.Enqueue(statusCode);

        public void OnRetransmitted2xx(ClientTransaction transaction, SipMessage response)
        {
        }
    }

    private static string Invite(SipPeer peer, string branch = "z9hG4bKinv1") =>
        SipPeer.Options(peer.EndPoint, branch, "inv-1").Replace("OPTIONS", "INVITE", StringComparison.Ordinal);

    [Fact]
    public async Task A_busy_answer_is_retransmitted_on_timer_g_until_the_ack()
    {
        var time = new FakeTimeProvider();
        var handler = new RecordingHandler(t => _ = t.RespondAsync(486, "Busy Here", "edge1"));
        await using var edge = await StackHarness.StartAsync(time, handler);
        using var peer = new SipPeer();

        await peer.SendAsync(edge.Stack.UdpEndPoint!, Invite(peer));
        Assert.Equal(486, (await peer.ReceiveAsync(Wait))!.StatusCode);

        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(486, (await peer.ReceiveAsync(Wait))!.StatusCode);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Null(await peer.ReceiveAsync(Quiet));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(486, (await peer.ReceiveAsync(Wait))!.StatusCode);

        var ack = Invite(peer).Replace("INVITE sip", "ACK sip", StringComparison.Ordinal).Replace("CSeq: 1 INVITE", "CSeq: 1 ACK", StringComparison.Ordinal);
        await peer.SendAsync(edge.Stack.UdpEndPoint!, ack);
        await Task.Delay(100);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(await peer.ReceiveAsync(Quiet));
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task A_retransmitted_invite_is_absorbed_and_the_last_provisional_resent()
    {
        var handler = new RecordingHandler(t => _ = t.RespondAsync(180, "Ringing", "edge1"));
        await using var edge = await StackHarness.StartAsync(new FakeTimeProvider(), handler);
        using var peer = new SipPeer();

        await peer.SendAsync(edge.Stack.UdpEndPoint!, Invite(peer));
        Assert.Equal(180, (await peer.ReceiveAsync(Wait))!.StatusCode);
        await peer.SendAsync(edge.Stack.UdpEndPoint!, Invite(peer));
        Assert.Equal(180, (await peer.ReceiveAsync(Wait))!.StatusCode);

        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Cancel_gets_200_and_the_invite_learns_it_was_cancelled()
    {
        var cancelled = new TaskCompletionSource();
        var handler = new RecordingHandler(t =>
        {
            t.Cancelled += tx =>
            {
                _ = tx.RespondAsync(487, "Request Terminated", "edge1");
                cancelled.TrySetResult();
            };
            _ = t.RespondAsync(180, "Ringing", "edge1");
        });
        await using var edge = await StackHarness.StartAsync(new FakeTimeProvider(), handler);
        using var peer = new SipPeer();
        await peer.SendAsync(edge.Stack.UdpEndPoint!, Invite(peer));
        Assert.Equal(180, (await peer.ReceiveAsync(Wait))!.StatusCode);

        var cancel = Invite(peer).Replace("INVITE sip", "CANCEL sip", StringComparison.Ordinal).Replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL", StringComparison.Ordinal);
        await peer.SendAsync(edge.Stack.UdpEndPoint!, cancel);

        await cancelled.Task.WaitAsync(Wait);
        var codes = new[] { (await peer.ReceiveAsync(Wait))!, (await peer.ReceiveAsync(Wait))! }.Select(r => (r.StatusCode, r.CSeqMethod)).ToHashSet();
        Assert.Contains((200, "CANCEL"), codes);
        Assert.Contains((487, "INVITE"), codes);
    }

    [Fact]
    public async Task A_cancel_matching_nothing_gets_481()
    {
        await using var edge = await StackHarness.StartAsync(new FakeTimeProvider(), new RecordingHandler());
        using var peer = new SipPeer();
        var cancel = Invite(peer, "z9hG4bKnothing").Replace("INVITE sip", "CANCEL sip", StringComparison.Ordinal).Replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL", StringComparison.Ordinal);
        await peer.SendAsync(edge.Stack.UdpEndPoint!, cancel);
        Assert.Equal(481, (await peer.ReceiveAsync(Wait))!.StatusCode);
    }

    private static SipMessageWriter OutboundInvite(SipStack stack, SipPeer peer, string branch) =>
        SipMessageWriter.Request("INVITE", $"sip:pbx@127.0.0.1:{peer.EndPoint.Port}")
            .Add(SipHeaderNames.Via, stack.LocalVia(SipTransportKind.Udp, branch))
            .Add(SipHeaderNames.MaxForwards, "70")
            .Add(SipHeaderNames.From, "<sip:edge@127.0.0.1>;tag=e1")
            .Add(SipHeaderNames.To, "<sip:pbx@127.0.0.1>")
            .Add(SipHeaderNames.CallId, "out-1")
            .Add(SipHeaderNames.CSeq, "1 INVITE");

    [Fact]
    public async Task An_unanswered_invite_is_retransmitted_on_timer_a_and_times_out_on_timer_b()
    {
        var time = new FakeTimeProvider();
        await using var edge = await StackHarness.StartAsync(time);
        using var peer = new SipPeer();
        var user = new RecordingUser();
        var branch = SipStack.NewBranch();

        await edge.Stack.SendRequestAsync(OutboundInvite(edge.Stack, peer, branch), branch, new SipEndPoint(SipTransportKind.Udp, peer.EndPoint), user);
        Assert.Equal("INVITE", (await peer.ReceiveAsync(Wait))!.Method);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(branch, (await peer.ReceiveAsync(Wait))!.TopVia!.Branch);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(await peer.ReceiveAsync(Wait));

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal([408], user.Finals);
        Assert.Equal(0, edge.Stack.ClientTransactionCount);
    }

    [Fact]
    public async Task A_busy_final_response_is_acked_by_the_transaction_and_delivered_once()
    {
        var time = new FakeTimeProvider();
        await using var edge = await StackHarness.StartAsync(time);
        using var peer = new SipPeer();
        var user = new RecordingUser();
        var branch = SipStack.NewBranch();
        await edge.Stack.SendRequestAsync(OutboundInvite(edge.Stack, peer, branch), branch, new SipEndPoint(SipTransportKind.Udp, peer.EndPoint), user);
        var invite = (await peer.ReceiveAsync(Wait))!;

        var busy = SipMessageWriter.ResponseTo(invite, 486, "Busy Here", "pbx1").ToArray();
        await peer.SendAsync(edge.Stack.UdpEndPoint!, busy);
        var ack = (await peer.ReceiveAsync(Wait))!;
        Assert.Equal("ACK", ack.Method);
        Assert.Equal(branch, ack.TopVia!.Branch);
        Assert.Equal("pbx1", ack.To!.Tag);
        Assert.Equal(1, ack.CSeq);

        await peer.SendAsync(edge.Stack.UdpEndPoint!, busy);
        Assert.Equal("ACK", (await peer.ReceiveAsync(Wait))!.Method);
        Assert.Equal([486], user.Finals);
    }

    [Fact]
    public async Task Provisional_then_ok_are_delivered_in_order()
    {
        await using var edge = await StackHarness.StartAsync(new FakeTimeProvider());
        using var peer = new SipPeer();
        var user = new RecordingUser();
        var branch = SipStack.NewBranch();
        await edge.Stack.SendRequestAsync(OutboundInvite(edge.Stack, peer, branch), branch, new SipEndPoint(SipTransportKind.Udp, peer.EndPoint), user);
        var invite = (await peer.ReceiveAsync(Wait))!;

        await peer.SendAsync(edge.Stack.UdpEndPoint!, SipMessageWriter.ResponseTo(invite, 180, "Ringing", "pbx1").ToArray());
        await peer.SendAsync(edge.Stack.UdpEndPoint!, SipMessageWriter.ResponseTo(invite, 200, "OK", "pbx1").ToArray());
        var deadline = DateTime.UtcNow + Wait;
        while (user.Finals.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal([180], user.Provisionals);
        Assert.Equal([200], user.Finals);
    }
}
