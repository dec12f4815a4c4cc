using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// The durable spool between the call path and PostgreSQL. Events are queued in memory (the call path never waits),
/// gathered for <see cref="CallHistoryOptions.SpoolGatherMilliseconds"/> after the first one (group commit), written
/// to a new segment file per batch, fsync'd, and only then offered to the drainer. Segments are deleted
/// after their rows are committed, so a crash at any point loses nothing and a replay writes the same rows again.
/// A torn last line (a crash mid-write) is skipped on read. While the drainer keeps up, a segment is offered with
/// its events still in memory, so they are not read back and parsed again; the file is what a crash or a long
/// PostgreSQL outage falls back to (at most <see cref="CallHistoryOptions.SpoolEventsHeld"/> events wait in memory).
/// </summary>
public sealed partial class CallSpool : IAsyncDisposable
{
    private readonly Channel<SpoolEvent> queue = Channel.CreateUnbounded<SpoolEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<SpoolSegment> sealedSegments = Channel.CreateUnbounded<SpoolSegment>();
    private readonly string directory;
    private readonly int batchSize;
    private readonly int eventsHeld;
    private readonly TimeSpan gather;
    private readonly ILogger<CallSpool> logger;
    private readonly Task writer;
    private readonly ArrayBufferWriter<byte> segmentBuffer = new(64 * 1024);
    private readonly Utf8JsonWriter segmentJson;
    private long sequence;
    private long pending;
    private long held;
    private long appended;
    private long writeFailures;

    public CallSpool(IOptions<CallHistoryOptions> options, ILogger<CallSpool> logger)
    {
        directory = options.Value.SpoolDirectory;
        batchSize = options.Value.SpoolBatchSize;
        eventsHeld = options.Value.SpoolEventsHeld;
        gather = TimeSpan.FromMilliseconds(options.Value.SpoolGatherMilliseconds);
        this.logger = logger;
        segmentJson = new Utf8JsonWriter(segmentBuffer);
        Directory.CreateDirectory(directory);
        Instance = ReadOrCreateInstance(directory);
        StartedAt = DateTimeOffset.UtcNow;
        Salvaged = SalvageUnsealed(directory);
        if (Salvaged > 0)
        {
            LogSalvaged(logger, Salvaged);
        }

        foreach (var existing in Segments())
        {
            // Left by a previous run: they were fsync'd, so they are complete apart from a possible torn tail.
            sealedSegments.Writer.TryWrite(new SpoolSegment(existing, null));
            sequence = Math.Max(sequence, SequenceOf(existing));
            LeftOver++;
        }

        writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// The identity of this spool, and so of the edge that writes it: kept in the spool directory's <c>instance</c> file,
    /// made on first start. Its calls' rows carry it, so the next start can close the ones a crash left open.
    /// </summary>
    public Guid Instance { get; }

    /// <summary>When this run opened the spool: calls of the edge's earlier runs started before it.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Segments a previous run left, offered first by <see cref="Ready"/>.</summary>
    public int LeftOver { get; }

    private static Guid ReadOrCreateInstance(string directory)
    {
        var path = Path.Combine(directory, "instance");
        if (File.Exists(path) && Guid.TryParse(File.ReadAllText(path).Trim(), out var existing))
        {
            return existing;
        }

        // Written whole or not at all (a temporary file renamed), so a crash here never leaves a torn identity.
        var instance = Guid.NewGuid();
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(instance.ToString("D") + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        return instance;
    }

    /// <summary>Segments a previous run was writing when it stopped, kept (<see cref="SalvageUnsealed"/>).</summary>
    public int Salvaged { get; }

    /// <summary>
    /// A segment being written is a <c>.tmp</c> file until it is fsync'd and renamed. One left by a crash holds events
    /// no segment has (the rename is the write's last step); whatever whole lines reached the disk are kept by renaming it
    /// to a segment, whose torn tail, if any, is skipped on read (unless a segment of that name exists: then it is left
    /// as it is). An empty one is removed.
    /// </summary>
    private static int SalvageUnsealed(string directory)
    {
        var kept = 0;
        foreach (var temp in Directory.EnumerateFiles(directory, "calls-*.jsonl.tmp").ToList())
        {
            if (new FileInfo(temp).Length == 0)
            {
                File.Delete(temp);
                continue;
            }

            var segment = temp[..^".tmp".Length];
            if (!File.Exists(segment))
            {
                File.Move(temp, segment);
                kept++;
            }
        }

        return kept;
    }

    /// <summary>Segment writes that failed since start (each is retried; its events wait in memory meanwhile).</summary>
    public long WriteFailures => Interlocked.Read(ref writeFailures);

    /// <summary>Events written (fsync'd) to segments since start.</summary>
    public long Appended => Interlocked.Read(ref appended);

    /// <summary>How long the oldest segment not yet drained has waited (its file's time); zero with none.</summary>
    public double OldestAgeSeconds
    {
        get
        {
            var oldest = Segments().FirstOrDefault();
            if (oldest is null)
            {
                return 0;
            }

            var written = File.GetLastWriteTimeUtc(oldest);
            return written.Year < 2000 ? 0 : Math.Max(0, (DateTime.UtcNow - written).TotalSeconds);
        }
    }

    /// <summary>Events waiting in memory or in segments not yet drained.</summary>
    public long Depth => Interlocked.Read(ref pending) + Segments().Count();

    public void Append(SpoolEvent spoolEvent)
    {
        Interlocked.Increment(ref pending);
        queue.Writer.TryWrite(spoolEvent);
    }

    /// <summary>Segments ready for the drainer, oldest first.</summary>
    public ChannelReader<SpoolSegment> Ready => sealedSegments.Reader;

    /// <summary>A ready segment's events: the ones still in memory, else those read from its file.</summary>
    public IReadOnlyList<SpoolEvent> EventsOf(SpoolSegment segment)
    {
        if (segment.Events is { } events)
        {
            Interlocked.Add(ref held, -events.Count);
            return events;
        }

        return Read(segment.Path);
    }

    public IEnumerable<string> Segments() =>
        Directory.EnumerateFiles(directory, "calls-*.jsonl").OrderBy(SequenceOf);

    private static long SequenceOf(string path) =>
        long.TryParse(Path.GetFileNameWithoutExtension(path).AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private async Task WriteLoopAsync()
    {
        var batch = new List<SpoolEvent>(batchSize);
        // A batch kept after a failed write is retried even when no new event comes, and is written before a shutdown ends the loop.
        while (batch.Count > 0 || await queue.Reader.WaitToReadAsync())
        {
            // Group commit: after the first event, sleep out the window once and then take everything that came, instead
            // of waking for each event (a wake-up per event was a thread switch per event). A backlog of a full batch
            // or more is written at once.
            if (batch.Count == 0 && gather > TimeSpan.Zero && Interlocked.Read(ref pending) < batchSize)
            {
                await Task.Delay(gather);
            }

            while (batch.Count < batchSize && queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            var path = Path.Combine(directory, $"calls-{Interlocked.Increment(ref sequence):D12}.jsonl");
            try
            {
                await WriteSegmentAsync(path, batch);
                Interlocked.Add(ref pending, -batch.Count);
                Interlocked.Add(ref appended, batch.Count);
                if (Interlocked.Read(ref held) + batch.Count <= eventsHeld)
                {
                    // The drainer takes the batch itself (a new list is started); the file stays as the durable copy.
                    Interlocked.Add(ref held, batch.Count);
                    sealedSegments.Writer.TryWrite(new SpoolSegment(path, batch));
                    batch = new List<SpoolEvent>(batchSize);
                }
                else
                {
                    sealedSegments.Writer.TryWrite(new SpoolSegment(path, null));
                    batch.Clear();
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Disk trouble (full, failing, made read-only): keep the batch and retry under the next name; the events
                // stay in memory meanwhile. The failed attempt's partial file goes, so a full disk gathers no leftovers.
                Interlocked.Increment(ref writeFailures);
                LogWriteFailed(logger, ex, path);
                TryDelete(path + ".tmp");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not there, or the disk refuses this too: the next start removes or keeps it (SalvageUnsealed).
        }
    }

    private async Task WriteSegmentAsync(string path, List<SpoolEvent> batch)
    {
        // Events are serialised straight to UTF-8: no string per event, no builder, no copy. The buffer and the JSON
        // writer belong to the single write loop and are kept from segment to segment, so a segment costs no buffer
        // of its own (a full one is past the large-object threshold, whose churn started full collections).
        segmentBuffer.ResetWrittenCount();
        foreach (var e in batch)
        {
            segmentJson.Reset(segmentBuffer);
            JsonSerializer.Serialize(segmentJson, e, SpoolEventJson.Default.SpoolEvent);
            segmentJson.Flush();
            segmentBuffer.Write("\n"u8);
        }

        var temp = path + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
        {
            await stream.WriteAsync(segmentBuffer.WrittenMemory);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path);
    }

    /// <summary>Reads a segment; a line that does not parse (a torn tail) ends the read.</summary>
    public static IReadOnlyList<SpoolEvent> Read(string path)
    {
        var events = new List<SpoolEvent>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                events.Add(JsonSerializer.Deserialize(line, SpoolEventJson.Default.SpoolEvent)!);
            }
            catch (JsonException)
            {
                break;
            }
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await writer;
        await segmentJson.DisposeAsync();
        sealedSegments.Writer.TryComplete();
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "{Count} spool segments were being written when the edge last stopped; their whole lines are kept")]
    private static partial void LogSalvaged(ILogger logger, int count);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Writing spool segment {Path} failed; retrying")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string path);
}

/// <summary>A sealed, fsync'd segment: its file and, while they are still in memory, its events (else null).</summary>
public sealed record SpoolSegment(string Path, IReadOnlyList<SpoolEvent>? Events);
