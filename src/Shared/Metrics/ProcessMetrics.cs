using System.Diagnostics;
using System.Text;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// <c>process_*</c> (the names Prometheus client libraries share, so stock dashboards work) and <c>dotnet_*</c>
/// families, read at scrape time from the runtime's own counters: no background sampling.
/// </summary>
internal sealed class ProcessMetrics
{
    private readonly double _startTimeSeconds;
    private readonly long _maxFds;
    private readonly bool _hasProcFs;

    public ProcessMetrics()
    {
        using var process = Process.GetCurrentProcess();
        _startTimeSeconds = new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        _hasProcFs = Directory.Exists("/proc/self/fd");
        _maxFds = _hasProcFs ? ReadMaxOpenFiles() : -1;
    }

    public void WriteTo(ExpositionBuffer buffer)
    {
        Gauge(buffer, "process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.", _startTimeSeconds);
        Counter(buffer, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Environment.CpuUsage.TotalTime.TotalSeconds);
        Gauge(buffer, "process_resident_memory_bytes", "Resident memory (working set) in bytes.", _hasProcFs ? ReadResidentBytes() : Environment.WorkingSet);
        if (_hasProcFs)
        {
            var open = OpenFileCount.Read();
            if (open >= 0)
            {
                Gauge(buffer, "process_open_fds", "Number of open file descriptors.", open);
            }

            if (_maxFds > 0)
            {
                Gauge(buffer, "process_max_fds", "Soft limit on open file descriptors.", _maxFds);
            }
        }

        buffer.Write("# HELP dotnet_gc_collections_total Garbage collections since the process started, by generation.\n# TYPE dotnet_gc_collections_total counter\n"u8);
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            buffer.Write("dotnet_gc_collections_total{generation=\"gen"u8);
            buffer.WriteValue((long)generation);
            buffer.Write("\"} "u8);
            buffer.WriteValue((long)GC.CollectionCount(generation));
            buffer.Write((byte)'\n');
        }

        Gauge(buffer, "dotnet_gc_heap_size_bytes", "Bytes the managed heap holds in live and not yet collected objects.", GC.GetTotalMemory(false));
        Counter(buffer, "dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap since the process started.", GC.GetTotalAllocatedBytes(false));
        Counter(buffer, "dotnet_gc_pause_seconds_total", "Time the garbage collector paused the process, in seconds.", GC.GetTotalPauseDuration().TotalSeconds);
        Gauge(buffer, "dotnet_threadpool_threads", "Thread pool worker threads.", ThreadPool.ThreadCount);
        Gauge(buffer, "dotnet_threadpool_queue_length", "Work items queued to the thread pool and not yet started.", ThreadPool.PendingWorkItemCount);
        Counter(buffer, "dotnet_threadpool_completed_items_total", "Work items the thread pool has completed.", ThreadPool.CompletedWorkItemCount);
        Counter(buffer, "dotnet_monitor_lock_contention_total", "Times a thread waited for a contended lock.", Monitor.LockContentionCount);
    }

    private static void Gauge(ExpositionBuffer buffer, string name, string help, double value) => Write(buffer, name, help, "gauge", value);

    private static void Counter(ExpositionBuffer buffer, string name, string help, double value) => Write(buffer, name, help, "counter", value);

    private static void Write(ExpositionBuffer buffer, string name, string help, string type, double value)
    {
        Span<byte> scratch = stackalloc byte[256];
        buffer.Write("# HELP "u8);
        buffer.Write(Ascii(name, scratch));
        buffer.Write((byte)' ');
        buffer.Write(Ascii(help, scratch));
        buffer.Write("\n# TYPE "u8);
        buffer.Write(Ascii(name, scratch));
        buffer.Write((byte)' ');
        buffer.Write(Ascii(type, scratch));
        buffer.Write((byte)'\n');
        buffer.Write(Ascii(name, scratch));
        buffer.Write((byte)' ');
        buffer.WriteValue(value);
        buffer.Write((byte)'\n');
    }

    private static ReadOnlySpan<byte> Ascii(string text, Span<byte> scratch)
    {
        var written = Encoding.ASCII.GetBytes(text, scratch);
        return scratch[..written];
    }

    /// <summary>
    /// The second field of <c>/proc/self/statm</c> (resident pages). <see cref="Environment.WorkingSet"/> builds a
    /// <c>Process</c> and parses <c>/proc/self/stat</c> and <c>status</c> on every call, allocating ~10 kB per scrape.
    /// </summary>
    private static long ReadResidentBytes()
    {
        Span<byte> text = stackalloc byte[128];
        int read;
        try
        {
            using var handle = File.OpenHandle("/proc/self/statm");
            read = RandomAccess.Read(handle, text, 0);
        }
        catch (IOException)
        {
            return Environment.WorkingSet;
        }

        var line = text[..read];
        var space = line.IndexOf((byte)' ');
        if (space < 0)
        {
            return Environment.WorkingSet;
        }

        line = line[(space + 1)..];
        var end = line.IndexOf((byte)' ');
        return System.Buffers.Text.Utf8Parser.TryParse(end < 0 ? line : line[..end], out long pages, out _)
            ? pages * Environment.SystemPageSize
            : Environment.WorkingSet;
    }

    private static long ReadMaxOpenFiles()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    continue;
                }

                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], out var soft) ? soft : -1;
            }
        }
        catch (IOException)
        {
            return -1;
        }

        return -1;
    }
}
