using System.Collections.Concurrent;
using Calltracking.Edge.Sip.Transactions;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Transactions;

public sealed class LingerQueueTests
{
    [Fact]
    public void Each_entry_ends_exactly_its_duration_after_it_was_added_in_the_order_added()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<string>();
        using var queue = new LingerQueue<string>(time, TimeSpan.FromSeconds(32), ended.Enqueue);
        queue.Add("a");
        time.Advance(TimeSpan.FromSeconds(10));
        queue.Add("b");
        queue.Add("c");

        time.Advance(TimeSpan.FromMilliseconds(21_999));
        Assert.Empty(ended);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["a"], ended);
        time.Advance(TimeSpan.FromMilliseconds(9_999));
        Assert.Equal(["a"], ended);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["a", "b", "c"], ended);
        Assert.Equal(0, queue.Count);

        // Empty again: a new entry re-arms the timer.
        queue.Add("d");
        time.Advance(TimeSpan.FromSeconds(32));
        Assert.Equal(["a", "b", "c", "d"], ended);
    }

    [Fact]
    public void Entries_that_fall_due_while_the_timer_is_late_end_together()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<int>();
        using var queue = new LingerQueue<object>(time, TimeSpan.FromSeconds(5), e => ended.Enqueue((int)e));
        for (var i = 0; i < 100; i++)
        {
            queue.Add(i);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(100, queue.Count);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(0, 100), ended);
    }

    [Fact]
    public void Entries_close_together_end_in_one_firing_at_most_the_batch_wait_late()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<(int Entry, DateTimeOffset At)>();
        using var queue = new LingerQueue<object>(time, TimeSpan.FromSeconds(5), e => ended.Enqueue(((int)e, time.GetUtcNow())));
        var start = time.GetUtcNow();
        for (var i = 0; i < 5; i++)
        {
            queue.Add(i);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        time.Advance(TimeSpan.FromMilliseconds(4_995));
        Assert.Equal([0], ended.Select(e => e.Entry));
        time.Advance(LingerQueue<object>.Batch);
        Assert.Equal([0, 1, 2, 3, 4], ended.Select(e => e.Entry));
        Assert.All(ended.Skip(1), e => Assert.Equal(start + TimeSpan.FromSeconds(5) + LingerQueue<object>.Batch, e.At));
    }

    [Fact]
    public void A_disposed_queue_ends_nothing_more_and_takes_nothing_new()
    {
        var time = new FakeTimeProvider();
        var ended = new ConcurrentQueue<string>();
        var queue = new LingerQueue<string>(time, TimeSpan.FromSeconds(1), ended.Enqueue);
        queue.Add("a");
        queue.Dispose();
        queue.Add("b");
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(ended);
        Assert.Equal(0, queue.Count);
    }
}
