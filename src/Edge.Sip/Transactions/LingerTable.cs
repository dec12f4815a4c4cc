using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>
/// What a finished transaction (or an ended dialog) leaves behind for the rest of its timer: its key and, where a
/// retransmission gets one, the message sent back — held where the garbage collector does not trace it.
/// </summary>
/// <remarks>
/// At 1,000 calls/s with 64·T1 = 32 s, about 100,000 of these are alive. Kept as objects (a record, its key string, its
/// reply array, its endpoint, a dictionary node), every young collection copied the newest of them into gen1 and
/// later into gen2: 3–5 MB per collection, a third of each pause (docs/sip.md). Here an entry is an unmanaged struct
/// in one of sixteen dictionaries (by a per-process keyed 64-bit hash of the key), each under its own lock; the key's characters and the reply are
/// appended to a ring of 256 KiB segments of native memory per linger length. All entries of a length expire in the
/// order they came, so a segment is reused once the oldest entry still waiting lies beyond it. The collector sees a
/// few arrays without references, which it neither copies nor scans, and the segments not at all (as large managed
/// arrays, growing them under a rising call rate counted towards gen2 collections). Lookups compare the stored key, so a hash collision never matches
/// the wrong entry; it only makes the older entry end early. Expiry is a FIFO per length (in chunks, so growing it never
/// copies it) and one timer armed for its head, as before: adding is O(1), nothing polls. A length's lock and a shard's
/// lock are never held together.
/// </remarks>
internal sealed unsafe class LingerTable : IDisposable
{
    /// <summary>The shortest wait between two firings of a length's timer while entries wait.</summary>
    public static readonly TimeSpan Batch = TimeSpan.FromMilliseconds(10);

    private const int SegmentShift = 18;
    private const int SegmentSize = 1 << SegmentShift;

    private static readonly int HashSeed = Random.Shared.Next();

    private const int ShardCount = 16;

    private readonly TimeProvider time;
    private readonly Action<byte>? expired;
    private readonly Shard[] shards;
    private readonly Lane[] lanes;
    private long nextSeq;
    private volatile bool disposed;

    /// <param name="expired">Called (outside any lock) with the entry's kind when an entry ends by its time.</param>
    public LingerTable(TimeProvider time, IEnumerable<TimeSpan> lengths, Action<byte>? expired = null)
    {
        this.time = time;
        this.expired = expired;
        shards = Enumerable.Range(0, ShardCount).Select(_ => new Shard()).ToArray();
        lanes = lengths.Where(l => l > TimeSpan.Zero).Distinct().Order().Select((l, i) => new Lane(this, l, i)).ToArray();
        if (lanes.Length == 0)
        {
            throw new ArgumentException("at least one positive linger length is needed", nameof(lengths));
        }
    }

    /// <summary>Entries waiting now.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var shard in shards)
            {
                lock (shard.Gate)
                {
                    count += shard.Slots.Count;
                }
            }

            return count;
        }
    }

    /// <summary>Bytes of native segments the table holds (written, waiting for reuse or spare).</summary>
    public long SegmentBytes
    {
        get
        {
            long bytes = 0;
            foreach (var lane in lanes)
            {
                lock (lane.Gate)
                {
                    bytes += lane.Segments * SegmentSize;
                }
            }

            return bytes;
        }
    }

    /// <summary>
    /// Keeps <paramref name="key"/> for <paramref name="length"/> (one of the table's lengths) with
    /// <paramref name="record"/> and, unless null, <paramref name="reply"/>. A later entry with the same key replaces
    /// this one. Returns the entry's ticket for <see cref="Remove"/>, or 0 when it is not kept (disposed, or key and
    /// reply larger than a segment, which no SIP message reaches).
    /// </summary>
    public long Add(ReadOnlySpan<char> key, TimeSpan length, LingerRecord record, byte[]? reply)
    {
        var keyBytes = MemoryMarshal.AsBytes(key);
        var replyLength = reply?.Length ?? -1;
        if (keyBytes.Length + Math.Max(replyLength, 0) > SegmentSize || disposed)
        {
            return 0;
        }

        var hash = Hash(key);
        var lane = LaneFor(length);
        var seq = Interlocked.Increment(ref nextSeq);
        long position;
        long added;
        lock (lane.Gate)
        {
            if (disposed)
            {
                return 0;
            }

            position = lane.Append(keyBytes, reply);
            added = time.GetTimestamp();
            lane.Enqueue(added, hash, seq, position);
        }

        var shard = ShardOf(hash);
        lock (shard.Gate)
        {
            shard.Slots[hash] = new Slot(seq, position, key.Length, replyLength, lane.Index, record);
        }

        // The entry's time may have run out while this thread was between the two locks (a stall as long as the
        // linger): the timer then found no slot for it and moved on, so the entry ends here instead of staying for good.
        if (time.GetTimestamp() - added >= lane.DurationTicks)
        {
            var removed = false;
            lock (shard.Gate)
            {
                if (shard.Slots.TryGetValue(hash, out var slot) && slot.Seq == seq)
                {
                    shard.Slots.Remove(hash);
                    removed = true;
                }
            }

            if (removed)
            {
                expired?.Invoke(record.Kind);
            }
        }

        return seq;
    }

    /// <summary>Keeps just the key (an ended dialog).</summary>
    public long Add(ReadOnlySpan<char> key, TimeSpan length) => Add(key, length, default, reply: null);

    /// <summary>Finds the entry for <paramref name="key"/>; <paramref name="reply"/> is a copy of its reply when asked for and present.</summary>
    public bool TryGet(ReadOnlySpan<char> key, bool withReply, out LingerRecord record, out byte[]? reply)
    {
        var hash = Hash(key);
        var shard = ShardOf(hash);
        Slot slot;
        bool found;
        lock (shard.Gate)
        {
            found = shard.Slots.TryGetValue(hash, out slot);
        }

        record = default;
        reply = null;
        if (!found)
        {
            return false;
        }

        // The bytes are read under the lane's lock, where a segment is only read while still in the ring: an entry
        // that expired meanwhile, its segment reused, is a miss.
        var lane = lanes[slot.Lane];
        lock (lane.Gate)
        {
            if (disposed || !lane.Holds(slot.Position) || !lane.KeyEquals(slot, key))
            {
                return false;
            }

            reply = withReply && slot.ReplyLength >= 0 ? lane.CopyReply(slot) : null;
        }

        record = slot.Record;
        return true;
    }

    public bool Contains(ReadOnlySpan<char> key) => TryGet(key, withReply: false, out _, out _);

    /// <summary>Ends the entry <paramref name="ticket"/> (from <see cref="Add(string, TimeSpan, LingerRecord, byte[])"/>) now, if it is still the key's.</summary>
    public bool Remove(string key, long ticket)
    {
        var hash = Hash(key);
        var shard = ShardOf(hash);
        lock (shard.Gate)
        {
            if (shard.Slots.TryGetValue(hash, out var slot) && slot.Seq == ticket)
            {
                shard.Slots.Remove(hash);
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var lane in lanes)
        {
            lock (lane.Gate)
            {
                lane.Dispose();
            }
        }

        foreach (var shard in shards)
        {
            lock (shard.Gate)
            {
                shard.Slots.Clear();
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A table dropped without <see cref="Dispose"/> (its timers idle, so nothing else holds it) still frees its segments.</summary>
    ~LingerTable()
    {
        foreach (var lane in lanes)
        {
            lane.FreeSegments();
        }
    }

    private static ulong Hash(ReadOnlySpan<char> key)
    {
        // Two 32-bit hashes with the process's random seeds (Marvin for string, xxHash32 for HashCode): 64 bits an
        // outsider cannot aim at.
        var second = new HashCode();
        second.Add(HashSeed);
        second.AddBytes(MemoryMarshal.AsBytes(key));
        return ((ulong)(uint)string.GetHashCode(key) << 32) | (uint)second.ToHashCode();
    }

    private Shard ShardOf(ulong hash) => shards[(int)(hash & (ShardCount - 1))];

    private Lane LaneFor(TimeSpan length)
    {
        foreach (var lane in lanes)
        {
            if (lane.Duration == length)
            {
                return lane;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(length), length, "not one of the table's linger lengths");
    }

    private void OnTimer(Lane lane)
    {
        List<Due>? due = null;
        lock (lane.Gate)
        {
            if (disposed)
            {
                return;
            }

            var now = time.GetTimestamp();
            while (lane.TryDequeueDue(now, out var entry))
            {
                (due ??= []).Add(entry);
            }

            lane.ReleaseBeforeHead();
            lane.Rearm(now);
        }

        if (due is null)
        {
            return;
        }

        foreach (var entry in due)
        {
            var shard = ShardOf(entry.Hash);
            byte kind;
            lock (shard.Gate)
            {
                if (!shard.Slots.TryGetValue(entry.Hash, out var slot) || slot.Seq != entry.Seq)
                {
                    continue;
                }

                shard.Slots.Remove(entry.Hash);
                kind = slot.Record.Kind;
            }

            expired?.Invoke(kind);
        }
    }

    /// <summary>
    /// A sixteenth of the entries by hash, each under its own lock: a dictionary that grows under a rising call rate
    /// copies a sixteenth of the table at a time, and lookups on different keys rarely meet.
    /// </summary>
    private sealed class Shard
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<ulong, Slot> Slots = new(1024);
    }

    private readonly record struct Slot(long Seq, long Position, int KeyChars, int ReplyLength, int Lane, LingerRecord Record);

    private readonly record struct Due(long At, ulong Hash, long Seq, long Position);

    /// <summary>One linger length: its FIFO of entries, its timer, and the ring of segments holding their bytes.</summary>
    private sealed class Lane : IDisposable
    {
        private readonly LingerTable table;
        private readonly long durationTicks;
        private readonly ChunkedQueue<Due> fifo = new();
        private readonly Stack<nint> spare = new();
        private readonly ITimer timer;
        private nint[] ring = new nint[4];
        private long firstSegment;
        private long lastSegment = -1;
        private long writePosition;
        private bool armed;

        public Lane(LingerTable table, TimeSpan duration, int index)
        {
            this.table = table;
            Duration = duration;
            Index = index;
            durationTicks = (long)(duration.TotalSeconds * table.time.TimestampFrequency);
            timer = table.time.CreateTimer(static s => ((Lane)s!).table.OnTimer((Lane)s), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        /// <summary>Guards the FIFO, the ring and the write position; never held together with a shard's lock.</summary>
        public readonly Lock Gate = new();

        public TimeSpan Duration { get; }

        /// <summary>The linger in timestamp ticks.</summary>
        public long DurationTicks => durationTicks;

        public int Index { get; }

        /// <summary>Segments allocated: in the ring and spare.</summary>
        public long Segments => lastSegment - firstSegment + 1 + spare.Count;

        /// <summary>Writes key then reply at the write position (moved to the next segment when they do not fit); returns where.</summary>
        public long Append(ReadOnlySpan<byte> key, byte[]? reply)
        {
            var size = key.Length + (reply?.Length ?? 0);
            var offset = (int)(writePosition & (SegmentSize - 1));
            if (offset + size > SegmentSize)
            {
                writePosition += SegmentSize - offset;
                offset = 0;
            }

            var segment = SegmentAt(writePosition >> SegmentShift);
            key.CopyTo(segment[offset..]);
            reply?.CopyTo(segment[(offset + key.Length)..]);
            var position = writePosition;
            writePosition += size;
            return position;
        }

        /// <summary>Whether the bytes at <paramref name="position"/> are still in the ring (not released for reuse).</summary>
        public bool Holds(long position) => (position >> SegmentShift) >= firstSegment && (position >> SegmentShift) <= lastSegment;

        public bool KeyEquals(in Slot slot, ReadOnlySpan<char> key)
        {
            if (slot.KeyChars != key.Length)
            {
                return false;
            }

            var offset = (int)(slot.Position & (SegmentSize - 1));
            var stored = Segment(slot.Position >> SegmentShift).Slice(offset, key.Length * sizeof(char));
            return stored.SequenceEqual(MemoryMarshal.AsBytes(key));
        }

        public byte[] CopyReply(in Slot slot)
        {
            var offset = (int)(slot.Position & (SegmentSize - 1)) + (slot.KeyChars * sizeof(char));
            return Segment(slot.Position >> SegmentShift).Slice(offset, slot.ReplyLength).ToArray();
        }

        public void Enqueue(long now, ulong hash, long seq, long position)
        {
            fifo.Enqueue(new Due(now + durationTicks, hash, seq, position));
            if (!armed)
            {
                armed = true;
                timer.Change(Duration, Timeout.InfiniteTimeSpan);
            }
        }

        public bool TryDequeueDue(long now, out Due due)
        {
            if (fifo.TryPeek(out due) && due.At <= now)
            {
                fifo.Dequeue();
                return true;
            }

            return false;
        }

        /// <summary>Segments wholly before the oldest waiting entry (before the write segment when none waits) go back to the spares.</summary>
        public void ReleaseBeforeHead()
        {
            var keepFrom = fifo.TryPeek(out var head) ? head.Position >> SegmentShift : writePosition >> SegmentShift;
            while (firstSegment < keepFrom && firstSegment <= lastSegment)
            {
                ref var slot = ref ring[firstSegment & (ring.Length - 1)];
                spare.Push(slot);
                slot = 0;
                firstSegment++;
            }

            // A quiet table keeps a few spares, not the peak's worth.
            while (spare.Count > 4 && fifo.IsEmpty)
            {
                NativeMemory.Free((void*)spare.Pop());
            }
        }

        public void Rearm(long now)
        {
            if (fifo.TryPeek(out var next))
            {
                var wait = table.time.GetElapsedTime(now, next.At);
                timer.Change(wait < Batch ? Batch : wait, Timeout.InfiniteTimeSpan);
            }
            else
            {
                armed = false;
            }
        }

        /// <summary>Stops the timer and frees every segment (under the lane's lock, or from the table's finalizer).</summary>
        public void Dispose()
        {
            timer.Dispose();
            FreeSegments();
        }

        public void FreeSegments()
        {
            for (var s = firstSegment; s <= lastSegment; s++)
            {
                ref var slot = ref ring[s & (ring.Length - 1)];
                if (slot != 0)
                {
                    NativeMemory.Free((void*)slot);
                    slot = 0;
                }
            }

            while (spare.TryPop(out var segment))
            {
                NativeMemory.Free((void*)segment);
            }

            firstSegment = lastSegment + 1;
        }

        private Span<byte> Segment(long number) => new((void*)ring[number & (ring.Length - 1)], SegmentSize);

        private Span<byte> SegmentAt(long number)
        {
            while (lastSegment < number)
            {
                lastSegment++;
                if (lastSegment - firstSegment + 1 > ring.Length)
                {
                    Grow();
                }

                ring[lastSegment & (ring.Length - 1)] = spare.TryPop(out var reused) ? reused : (nint)NativeMemory.Alloc(SegmentSize);
            }

            return Segment(number);
        }

        private void Grow()
        {
            var bigger = new nint[ring.Length * 2];
            for (var s = firstSegment; s < lastSegment; s++)
            {
                bigger[s & (bigger.Length - 1)] = ring[s & (ring.Length - 1)];
            }

            ring = bigger;
        }
    }
}

/// <summary>
/// A FIFO of unmanaged items in 1,024-item chunks (32 KiB, below the large object heap), reused as they empty: growing
/// never copies what is queued, where a <see cref="Queue{T}"/> of 400,000 entries doubled into a 25 MB array under its
/// lane's lock.
/// </summary>
internal sealed class ChunkedQueue<T>
    where T : unmanaged
{
    private const int ChunkSize = 1024;
    private readonly Queue<T[]> chunks = new();
    private readonly Stack<T[]> spare = new();
    private T[]? tail;
    private int head;
    private int tailCount;

    public int Count { get; private set; }

    public bool IsEmpty => Count == 0;

    public void Enqueue(in T item)
    {
        if (tail is null || tailCount == ChunkSize)
        {
            tail = spare.TryPop(out var reused) ? reused : new T[ChunkSize];
            chunks.Enqueue(tail);
            tailCount = 0;
        }

        tail[tailCount++] = item;
        Count++;
    }

    public bool TryPeek(out T item)
    {
        if (Count == 0)
        {
            item = default;
            return false;
        }

        item = chunks.Peek()[head];
        return true;
    }

    public void Dequeue()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("the queue is empty");
        }

        Count--;
        head++;
        if (Count == 0 || head == ChunkSize)
        {
            // The head chunk is used up (when the queue is empty, it is the only chunk left).
            var first = chunks.Dequeue();
            if (spare.Count < 4)
            {
                spare.Push(first);
            }

            head = 0;
            if (Count == 0)
            {
                tail = null;
                tailCount = 0;
            }
        }
    }
}

/// <summary>What a lingering entry remembers besides its key: all unmanaged, so the table's arrays hold no references.</summary>
internal readonly struct LingerRecord
{
    private readonly ulong addressHigh;
    private readonly ulong addressLow;
    private readonly long scopeId;
    private readonly ushort port;
    private readonly byte flags; // bit 0 IPv6, bit 1 TCP, bit 2 passes ACK

    public LingerRecord(byte kind, byte method, bool passesAck, SipEndPoint target)
    {
        Kind = kind;
        Method = method;
        flags = (byte)((passesAck ? 4 : 0) | (target.Transport == SipTransportKind.Tcp ? 2 : 0));
        var address = target.Address.Address;
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        address.TryWriteBytes(bytes, out _);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            flags |= 1;
            scopeId = address.ScopeId;
        }

        addressHigh = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        addressLow = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        port = (ushort)target.Address.Port;
    }

    public byte Kind { get; }

    public byte Method { get; }

    public bool PassesAck => (flags & 4) != 0;

    /// <summary>Where the reply goes again (a new endpoint object: this is only asked on a retransmission).</summary>
    public SipEndPoint Target
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, addressHigh);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], addressLow);
            var address = (flags & 1) != 0 ? new IPAddress(bytes, scopeId) : new IPAddress(bytes[..4]);
            return new SipEndPoint((flags & 2) != 0 ? SipTransportKind.Tcp : SipTransportKind.Udp, new IPEndPoint(address, port));
        }
    }
}
