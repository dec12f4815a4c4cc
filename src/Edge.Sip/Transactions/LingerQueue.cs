namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// Entries that all live for the same fixed time, expired in the order they came: a FIFO and one timer armed for the
/// oldest entry, instead of a timer per entry. Adding is O(1) and allocates nothing once the ring has grown; each
/// firing ends every entry that is due by then. After a firing the next one is at least <see cref="Batch"/> away, so
/// entries added a few microseconds apart (thousands a second under load) end together in one callback, at most
/// that much after their time.
/// </summary>
internal sealed class LingerQueue<T> : IDisposable
    where T : class
{
    /// <summary>The shortest wait between two firings while entries are waiting.</summary>
    public static readonly TimeSpan Batch = TimeSpan.FromMilliseconds(10);

    private readonly TimeProvider time;
    private readonly long durationTicks;
    private readonly Action<T> expire;
    private readonly Queue<(long Due, T Entry)> entries = new();
    private readonly Lock gate = new();
    private readonly ITimer timer;
    private bool armed;
    private bool disposed;

    public LingerQueue(TimeProvider time, TimeSpan duration, Action<T> expire)
    {
        this.time = time;
        this.expire = expire;
        Duration = duration;
        durationTicks = (long)(duration.TotalSeconds * time.TimestampFrequency);
        timer = time.CreateTimer(static s => ((LingerQueue<T>)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Duration { get; }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>Keeps <paramref name="entry"/> for <see cref="Duration"/> from now, then hands it to the expire action.</summary>
    public void Add(T entry)
    {
        var due = time.GetTimestamp() + durationTicks;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            entries.Enqueue((due, entry));
            if (!armed)
            {
                armed = true;
                timer.Change(Duration, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnTimer()
    {
        List<T> due = [];
        lock (gate)
        {
            var now = time.GetTimestamp();
            while (entries.TryPeek(out var head) && head.Due <= now)
            {
                due.Add(entries.Dequeue().Entry);
            }

            if (entries.TryPeek(out var next) && !disposed)
            {
                var wait = time.GetElapsedTime(now, next.Due);
                timer.Change(wait < Batch ? Batch : wait, Timeout.InfiniteTimeSpan);
            }
            else
            {
                armed = false;
            }
        }

        foreach (var entry in due)
        {
            expire(entry);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            entries.Clear();
        }

        timer.Dispose();
    }
}
