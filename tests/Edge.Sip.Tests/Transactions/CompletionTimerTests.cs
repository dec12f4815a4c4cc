using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Transactions;

/// <summary>
/// The timers that end transactions (D, H, I, J, K) and the non-INVITE client's retransmit and timeout (E, F),
/// RFC 3261 §17 Table 4 with T1 = 500 ms, T2 = 4 s, T4 = 5 s, on simulated time against a real UDP peer.
/// </summary>
public sealed class CompletionTimerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private static SipMessageWriter OutboundOptions(SipStack stack, SipPeer peer, string branch) =>
        SipMessageWriter.Request("OPTIONS", $"sip:pbx@127.0.0.1:{peer.EndPoint.Port}")
            .Add(SipHeaderNames.Via, stack.LocalVia(SipTransportKind.Udp, branch))
            .Add(SipHeaderNames.MaxForwards, "70")
            .Add(SipHeaderNames.From, "<sip:edge@127.0.0.1>;tag=e1")
            .Add(SipHeaderNames.To, "<sip:pbx@127.0.0.1>")
            .Add(SipHeaderNames.CallId, "out-options-" + branch)
            .Add(SipHeaderNames.CSeq, "1 OPTIONS");

    [Fact]
    public async Task Timer_h_forgets_a_rejected_invite_that_is_never_acked()
    {
        var time = new FakeTimeProvider();
        var handler = new RecordingHandler(t => _ = t.RespondAsync(486, "Busy Here", "edge1"));
        await using var edge = await StackHarness.StartAsync(time, handler);
        using var peer = new SipPeer();
        await peer.SendAsync(edge.Stack.UdpEndPoint!, TransactionTimerTests.Invite(peer));
        Assert.Equal(486, (await peer.ReceiveAsync(Wait))!.StatusCode);

        time.Advance(TimeSpan.FromMilliseconds(31_999));
        Assert.Equal(1, edge.Stack.ServerTransactionCount);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, edge.Stack.ServerTransactionCount);
    }

    [Fact]
    public async Task Timer_i_absorbs_ack_retransmissions_for_t4_then_ends()
    {
        var time = new FakeTimeProvider();
        var handler = new RecordingHandler(t => _ = t.RespondAsync(486, "Busy Here", "edge1"));
        await using var edge = await StackHarness.StartAsync(time, handler);
        using var peer = new SipPeer();
        await peer.SendAsync(edge.Stack.UdpEndPoint!, TransactionTimerTests.Invite(peer));
        Assert.Equal(486, (await peer.ReceiveAsync(Wait))!.StatusCode);

        var ack = TransactionTimerTests.Invite(peer).Replace("INVITE sip", "ACK sip", StringComparison.Ordinal).Replace("CSeq: 1 INVITE", "CSeq: 1 ACK", StringComparison.Ordinal);
        await peer.SendAsync(edge.Stack.UdpEndPoint!, ack);
        await Eventually(() => handler.Requests.Single().State == TransactionState.Confirmed);

        time.Advance(TimeSpan.FromMilliseconds(4_999));
        Assert.Equal(1, edge.Stack.ServerTransactionCount);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, edge.Stack.ServerTransactionCount);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Timer_j_absorbs_non_invite_retransmissions_for_64_t1()
    {
        var time = new FakeTimeProvider();
        var handler = new RecordingHandler(t => _ = t.RespondAsync(200, "OK", "edge1"));
        await using var edge = await StackHarness.StartAsync(time, handler);
        using var peer = new SipPeer();
        var options = SipPeer.Options(peer.EndPoint, "z9hG4bKtimerj", "timer-j");
        await peer.SendAsync(edge.Stack.UdpEndPoint!, options);
        Assert.Equal(200, (await peer.ReceiveAsync(Wait))!.StatusCode);

        time.Advance(TimeSpan.FromSeconds(20));
        await peer.SendAsync(edge.Stack.UdpEndPoint!, options);
        Assert.Equal(200, (await peer.ReceiveAsync(Wait))!.StatusCode);
        Assert.Single(handler.Requests);

        time.Advance(TimeSpan.FromMilliseconds(11_999));
        Assert.Equal(1, edge.Stack.ServerTransactionCount);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, edge.Stack.ServerTransactionCount);
    }

    [Fact]
    public async Task Timers_e_and_f_retransmit_up_to_t2_and_time_out_with_408()
    {
        var time = new FakeTimeProvider();
        await using var edge = await StackHarness.StartAsync(time);
        using var peer = new SipPeer();
        var user = new RecordingUser();
        var branch = SipStack.NewBranch();
        await edge.Stack.SendRequestAsync(OutboundOptions(edge.Stack, peer, branch), new SipEndPoint(SipTransportKind.Udp, peer.EndPoint), user);
        Assert.Equal("OPTIONS", (await peer.ReceiveAsync(Wait))!.Method);

        // E fires at 0.5, 1.5, 3.5, 7.5 s, then every T2 = 4 s (11.5, 15.5 …).
        foreach (var gap in new[] { 500, 1000, 2000, 4000, 4000, 4000 })
        {
            time.Advance(TimeSpan.FromMilliseconds(gap - 1));
            Assert.Null(await peer.ReceiveAsync(Quiet));
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(branch, (await peer.ReceiveAsync(Wait))!.TopVia!.Branch);
        }

        // F fires at 64·T1 = 32 s from the start; 15.5 s have passed.
        time.Advance(TimeSpan.FromMilliseconds(16_499));
        Assert.Empty(user.Finals);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([408], user.Finals);
        Assert.Equal(0, edge.Stack.ClientTransactionCount);
    }

    [Fact]
    public async Task Timer_k_keeps_a_completed_non_invite_for_t4()
    {
        var time = new FakeTimeProvider();
        await using var edge = await StackHarness.StartAsync(time);
        using var peer = new SipPeer();
        var user = new RecordingUser();
        var branch = SipStack.NewBranch();
        await edge.Stack.SendRequestAsync(OutboundOptions(edge.Stack, peer, branch), new SipEndPoint(SipTransportKind.Udp, peer.EndPoint), user);
        var request = (await peer.ReceiveAsync(Wait))!;
        var ok = SipMessageWriter.ResponseTo(request, 200, "OK", "pbx1").ToArray();
        await peer.SendAsync(edge.Stack.UdpEndPoint!, ok);
        await Eventually(() => !user.Finals.IsEmpty);

        // A retransmitted 200 is absorbed: the user hears of it once.
        await peer.SendAsync(edge.Stack.UdpEndPoint!, ok);
        await Task.Delay(100);
        time.Advance(TimeSpan.FromMilliseconds(4_999));
        Assert.Equal(1, edge.Stack.ClientTransactionCount);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, edge.Stack.ClientTransactionCount);
        Assert.Equal([200], user.Finals);
    }

    [Fact]
    public async Task Timer_d_keeps_a_rejected_invite_for_32_seconds_to_re_ack()
    {
        var time = new FakeTimeProvider();
        await using var edge = await StackHarness.StartAsync(time);
        using var peer = new SipPeer();
        var user = new RecordingUser();
        var branch = SipStack.NewBranch();
        await edge.Stack.SendRequestAsync(TransactionTimerTests.OutboundInvite(edge.Stack, peer, branch), new SipEndPoint(SipTransportKind.Udp, peer.EndPoint), user);
        var invite = (await peer.ReceiveAsync(Wait))!;
        var busy = SipMessageWriter.ResponseTo(invite, 486, "Busy Here", "pbx1").ToArray();
        await peer.SendAsync(edge.Stack.UdpEndPoint!, busy);
        Assert.Equal("ACK", (await peer.ReceiveAsync(Wait))!.Method);

        time.Advance(TimeSpan.FromMilliseconds(31_999));
        await peer.SendAsync(edge.Stack.UdpEndPoint!, busy);
        Assert.Equal("ACK", (await peer.ReceiveAsync(Wait))!.Method);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, edge.Stack.ClientTransactionCount);
        Assert.Equal([486], user.Finals);
    }

    [Fact]
    public async Task Rfc2543_peer_without_branch_cookie_is_matched_by_the_fallback()
    {
        var time = new FakeTimeProvider();
        var handler = new RecordingHandler(t => _ = t.RespondAsync(486, "Busy Here", "edge1"));
        await using var edge = await StackHarness.StartAsync(time, handler);
        using var peer = new SipPeer();
        var invite = TransactionTimerTests.Invite(peer).Replace(";branch=z9hG4bKinv1", string.Empty, StringComparison.Ordinal);
        await peer.SendAsync(edge.Stack.UdpEndPoint!, invite);
        var busy = (await peer.ReceiveAsync(Wait))!;
        Assert.Equal(486, busy.StatusCode);

        // §17.2.3: the retransmission matches on Request-URI, From tag, Call-ID, CSeq and top Via.
        await peer.SendAsync(edge.Stack.UdpEndPoint!, invite);
        Assert.Equal(486, (await peer.ReceiveAsync(Wait))!.StatusCode);
        Assert.Single(handler.Requests);

        // The ACK carries the To tag of the 486 and still finds its INVITE: G stops, I ends the transaction.
        var ack = invite.Replace("INVITE sip", "ACK sip", StringComparison.Ordinal).Replace("CSeq: 1 INVITE", "CSeq: 1 ACK", StringComparison.Ordinal)
            .Replace("To: <sip:edge@127.0.0.1>", $"To: <sip:edge@127.0.0.1>;tag={busy.To!.Tag}", StringComparison.Ordinal);
        await peer.SendAsync(edge.Stack.UdpEndPoint!, ack);
        await Eventually(() => handler.Requests.Single().State == TransactionState.Confirmed);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, edge.Stack.ServerTransactionCount);
    }
}
