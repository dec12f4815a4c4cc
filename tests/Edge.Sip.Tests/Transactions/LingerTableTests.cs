using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Transactions;

public sealed class LingerTableTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(32);
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(5);
    private static readonly SipEndPoint Carrier = new(SipTransportKind.Udp, new IPEndPoint(IPAddress.Parse("192.0.2.7"), 5080));

    private static LingerRecord Record(byte kind = 0, bool passesAck = false, SipEndPoint? target = null) =>
        new(kind, SipMetrics.MethodIndex("INVITE"), passesAck, target ?? Carrier);

    [Fact]
    public void Each_entry_ends_exactly_its_length_after_it_was_added_in_the_order_added()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<byte>();
        using var table = new LingerTable(time, [Long], ended.Enqueue);
        table.Add("a", Long, Record(kind: 1), null);
        time.Advance(TimeSpan.FromSeconds(10));
        table.Add("b", Long, Record(kind: 2), null);
        table.Add("c", Long, Record(kind: 3), null);

        time.Advance(TimeSpan.FromMilliseconds(21_999));
        Assert.Empty(ended);
        Assert.True(table.Contains("a"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal<byte>([1], ended);
        Assert.False(table.Contains("a"));
        Assert.True(table.Contains("b"));
        time.Advance(TimeSpan.FromMilliseconds(9_999));
        Assert.Equal<byte>([1], ended);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal<byte>([1, 2, 3], ended);
        Assert.Equal(0, table.Count);

        // Empty again: a new entry re-arms the timer.
        table.Add("d", Long, Record(kind: 0), null);
        time.Advance(Long);
        Assert.Equal<byte>([1, 2, 3, 0], ended);
    }

    [Fact]
    public void Lengths_run_side_by_side_each_in_its_own_order()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<byte>();
        using var table = new LingerTable(time, [Long, Short, Long], ended.Enqueue);
        table.Add("long", Long, Record(kind: 0), null);
        table.Add("short", Short, Record(kind: 1), null);

        time.Advance(Short);
        Assert.Equal<byte>([1], ended);
        Assert.True(table.Contains("long"));
        time.Advance(Long - Short);
        Assert.Equal<byte>([1, 0], ended);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Add("x", TimeSpan.FromSeconds(7), Record(), null));
    }

    [Fact]
    public void Entries_close_together_end_in_one_firing_at_most_the_batch_wait_late()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<(byte Kind, DateTimeOffset At)>();
        using var table = new LingerTable(time, [Short], k => ended.Enqueue((k, time.GetUtcNow())));
        var start = time.GetUtcNow();
        for (byte i = 0; i < 5; i++)
        {
            table.Add($"k{i}", Short, Record(kind: i), null);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        time.Advance(TimeSpan.FromMilliseconds(4_995));
        Assert.Equal<byte>([0], ended.Select(e => e.Kind));
        time.Advance(LingerTable.Batch);
        Assert.Equal<byte>([0, 1, 2, 3, 4], ended.Select(e => e.Kind));
        Assert.All(ended.Skip(1), e => Assert.Equal(start + Short + LingerTable.Batch, e.At));
    }

    [Fact]
    public void A_lookup_gives_back_the_record_and_a_copy_of_the_reply_and_finds_only_the_exact_key()
    {
        var time = new FakeTimeProvider();
        using var table = new LingerTable(time, [Long]);
        var reply = Encoding.ASCII.GetBytes("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
        var v6 = new SipEndPoint(SipTransportKind.Tcp, new IPEndPoint(IPAddress.Parse("fe80::1%3"), 5061));
        table.Add("s|z9hG4bK-1|192.0.2.7:5080|INVITE", Long, Record(kind: 0, passesAck: true, target: Carrier), reply);
        table.Add("s|z9hG4bK-2|[fe80::1]:5061|BYE", Long, new LingerRecord(1, SipMetrics.MethodIndex("BYE"), false, v6), reply);
        table.Add("c|z9hG4bK-3|INVITE", Long, Record(kind: 2), null);

        Assert.True(table.TryGet("s|z9hG4bK-1|192.0.2.7:5080|INVITE", withReply: true, out var first, out var firstReply));
        Assert.Equal(reply, firstReply);
        Assert.NotSame(reply, firstReply);
        Assert.True(first.PassesAck);
        Assert.Equal((byte)0, first.Kind);
        Assert.Equal(Carrier, first.Target);

        Assert.True(table.TryGet("s|z9hG4bK-2|[fe80::1]:5061|BYE", withReply: false, out var second, out var notAsked));
        Assert.Null(notAsked);
        Assert.False(second.PassesAck);
        Assert.Equal("BYE", SipMetrics.MethodLabel(second.Method));
        Assert.Equal(v6, second.Target);
        Assert.Equal(3, second.Target.Address.Address.ScopeId);

        Assert.True(table.TryGet("c|z9hG4bK-3|INVITE", withReply: true, out _, out var none));
        Assert.Null(none);

        // Near misses: another branch, a prefix, a different case.
        Assert.False(table.Contains("s|z9hG4bK-1|192.0.2.7:5080|INVITf"));
        Assert.False(table.Contains("s|z9hG4bK-1|192.0.2.7:5080|"));
        Assert.False(table.Contains("S|Z9HG4BK-1|192.0.2.7:5080|INVITE"));
        Assert.False(table.Contains(string.Empty));
    }

    [Fact]
    public void A_later_entry_with_the_same_key_replaces_the_earlier_and_keeps_its_own_time()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<byte>();
        using var table = new LingerTable(time, [Long], ended.Enqueue);
        table.Add("k", Long, Record(kind: 1), [1]);
        time.Advance(TimeSpan.FromSeconds(20));
        table.Add("k", Long, Record(kind: 2), [2]);

        time.Advance(TimeSpan.FromSeconds(12));
        Assert.Empty(ended);
        Assert.True(table.TryGet("k", withReply: true, out var record, out var reply));
        Assert.Equal((byte)2, record.Kind);
        Assert.Equal([2], reply);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal<byte>([2], ended);
        Assert.False(table.Contains("k"));
    }

    [Fact]
    public void Remove_ends_only_the_entry_its_ticket_names()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<byte>();
        using var table = new LingerTable(time, [Long], ended.Enqueue);
        var first = table.Add("k", Long, Record(kind: 1), null);
        var second = table.Add("k", Long, Record(kind: 2), null);

        Assert.False(table.Remove("k", first));
        Assert.True(table.Contains("k"));
        Assert.True(table.Remove("k", second));
        Assert.False(table.Contains("k"));
        Assert.False(table.Remove("k", second));

        // A removed entry does not end again by its time.
        time.Advance(Long);
        Assert.Empty(ended);
    }

    [Fact]
    public void Segments_are_reused_as_entries_expire_so_the_bytes_held_follow_the_entries_waiting_not_the_total()
    {
        var time = new FakeTimeProvider();
        using var table = new LingerTable(time, [Short]);
        var reply = new byte[1_500];
        long peak = 0;

        // 200 s of 1,000 entries a second (1,500-byte replies) with a 5 s linger: ~5,000 wait at once, ~8 MB.
        for (var second = 0; second < 200; second++)
        {
            for (var i = 0; i < 100; i++)
            {
                for (var j = 0; j < 10; j++)
                {
                    Random.Shared.NextBytes(reply.AsSpan(0, 8));
                    table.Add($"s|z9hG4bK-{second}-{i}-{j}|192.0.2.7:5080|BYE", Short, Record(), reply);
                }

                time.Advance(TimeSpan.FromMilliseconds(10));
            }

            peak = Math.Max(peak, table.SegmentBytes);
        }

        Assert.InRange(table.Count, 4_000, 6_000);
        Assert.InRange(peak, 7_000_000, 12_000_000);

        // The newest entries read back whole after all that reuse.
        Assert.True(table.TryGet("s|z9hG4bK-199-99-9|192.0.2.7:5080|BYE", withReply: true, out _, out var last));
        Assert.Equal(reply, last);

        // Quiet again: all but a few spare segments go.
        time.Advance(Short + LingerTable.Batch);
        Assert.Equal(0, table.Count);
        Assert.InRange(table.SegmentBytes, 0, 5 * 256 * 1024);
    }

    /// <summary>A clock that jumps ahead (firing due timers) the moment the table reads it for the n-th time: a stall at that point.</summary>
    private sealed class StallingClock(int stallAtRead, TimeSpan stall) : FakeTimeProvider
    {
        private int reads;

        public override long GetTimestamp()
        {
            var now = base.GetTimestamp();
            if (Interlocked.Increment(ref reads) == stallAtRead)
            {
                Advance(stall);
            }

            return now;
        }
    }

    /// <summary>
    /// An add that stalls between writing its expiry and its slot for longer than the linger: the timer finds no slot
    /// when the entry's time comes, and the add itself ends the entry instead of leaving it for good.
    /// </summary>
    [Fact]
    public void An_add_that_stalls_past_its_linger_leaves_nothing_behind()
    {
        var ended = new ConcurrentQueue<byte>();
        var time = new StallingClock(stallAtRead: 1, stall: Short + LingerTable.Batch);
        using var table = new LingerTable(time, [Short], ended.Enqueue);

        table.Add("s|z9hG4bK-stall|192.0.2.7:5080|BYE", Short, Record(kind: 3), "SIP/2.0 200 OK\r\n\r\n"u8.ToArray());

        Assert.Equal(0, table.Count);
        Assert.Equal([(byte)3], ended);
        Assert.False(table.TryGet("s|z9hG4bK-stall|192.0.2.7:5080|BYE", withReply: false, out _, out _));
    }

    [Fact]
    public async Task Parallel_adds_lookups_and_expiry_never_answer_for_another_key()
    {
        var time = new FakeTimeProvider();
        using var table = new LingerTable(time, [Short, Long]);
        var advance = Task.Run(async () =>
        {
            for (var i = 0; i < 400; i++)
            {
                time.Advance(TimeSpan.FromMilliseconds(50));
                await Task.Yield();
            }
        });

        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                var key = $"s|z9hG4bK-{w}-{i}|192.0.2.7:5080|BYE";
                var reply = Encoding.ASCII.GetBytes($"SIP/2.0 200 OK\r\nX-Key: {key}\r\n\r\n");
                table.Add(key, i % 2 == 0 ? Short : Long, Record(kind: (byte)(w % 4)), reply);
                var probe = $"s|z9hG4bK-{w}-{Random.Shared.Next(0, i + 1)}|192.0.2.7:5080|BYE";
                if (table.TryGet(probe, withReply: true, out var record, out var got))
                {
                    Assert.Equal((byte)(w % 4), record.Kind);
                    Assert.EndsWith($"X-Key: {probe}\r\n\r\n", Encoding.ASCII.GetString(got!), StringComparison.Ordinal);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await advance;

        // Everything added ends by its time.
        time.Advance(Long + LingerTable.Batch);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Entries_wider_than_a_segment_are_not_kept_and_a_disposed_table_takes_nothing()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<byte>();
        var table = new LingerTable(time, [Long], ended.Enqueue);
        Assert.Equal(0, table.Add("big", Long, Record(), new byte[300 * 1024]));
        Assert.False(table.Contains("big"));

        table.Add("a", Long, Record(), null);
        table.Dispose();
        Assert.Equal(0, table.Add("b", Long, Record(), null));
        time.Advance(Long);
        Assert.Empty(ended);
        Assert.Equal(0, table.Count);
    }
}

public sealed class ChunkedQueueTests
{
    [Fact]
    public void Items_come_out_in_order_across_chunks_and_the_queue_is_reused_once_empty()
    {
        var queue = new ChunkedQueue<long>();
        Assert.False(queue.TryPeek(out _));
        Assert.Throws<InvalidOperationException>(queue.Dequeue);

        for (var round = 0; round < 3; round++)
        {
            for (long i = 0; i < 5_000; i++)
            {
                queue.Enqueue(i);
            }

            // Interleaved: take some, add some, across chunk edges.
            for (long i = 0; i < 2_500; i++)
            {
                Assert.True(queue.TryPeek(out var head));
                Assert.Equal(i, head);
                queue.Dequeue();
            }

            for (long i = 5_000; i < 7_000; i++)
            {
                queue.Enqueue(i);
            }

            Assert.Equal(4_500, queue.Count);
            for (long i = 2_500; i < 7_000; i++)
            {
                Assert.True(queue.TryPeek(out var head));
                Assert.Equal(i, head);
                queue.Dequeue();
            }

            Assert.True(queue.IsEmpty);
            Assert.False(queue.TryPeek(out _));
        }
    }
}
