using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Calltracking.Edge.Benchmarks.Leases;

/// <summary>
/// Open-loop pacing: a dedicated thread starts call i at start + i / rate whatever earlier calls are doing (no
/// coordinated omission), sleeping in between with <c>clock_nanosleep</c>, which wakes within tens of microseconds;
/// <c>Task.Delay</c> and <c>Thread.Sleep</c> round to whole milliseconds, and a timer or <c>Task.Run</c> per call adds
/// thread-pool queueing to the numbers. The call is started on the pacer thread, as the SIP receive loop starts
/// resolve(); its answer completes on the thread pool, as in the edge.
/// </summary>
internal static partial class PacedCalls
{
    private const int ClockMonotonic = 1;

    /// <summary>Latencies in ms of each call: from its start to its answer, and from its scheduled instant to its answer.</summary>
    public sealed record Result(double[] Service, double[] FromSchedule, double[] Lateness, double Seconds, int Gen0, int Gen1, int Gen2, double BytesPerCall, TimeSpan GcPauses);

    public static async Task<Result> RunAsync(int perSecond, int seconds, Func<int, Task> call)
    {
        var total = perSecond * seconds;
        var service = new double[total];
        var fromSchedule = new double[total];
        var lateness = new double[total];
        var run = new Run(total);
        var period = (double)Stopwatch.Frequency / perSecond;
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var paused = GC.GetTotalPauseDuration();
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        var pacer = new Thread(() =>
        {
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * period);
                SleepUntil(due);
                var sent = Stopwatch.GetTimestamp();
                lateness[i] = Stopwatch.GetElapsedTime(due, sent).TotalMilliseconds;
                _ = Observe(call(i), i, due, sent, service, fromSchedule, run);
            }
        })
        { IsBackground = true, Name = "pacer" };
        pacer.Start();
        await Task.Run(pacer.Join);
        await run.Done.Task;
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var bytesPerCall = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)total;
        Array.Sort(service);
        Array.Sort(fromSchedule);
        Array.Sort(lateness);
        return new Result(service, fromSchedule, lateness, elapsed, GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2, bytesPerCall, GC.GetTotalPauseDuration() - paused);
    }

    /// <remarks>
    /// Nothing keeps a finished call's task (or its answer): held to the end of the run, every young collection in this
    /// process promoted the answers since the one before, and its pauses (8–23 ms per 10 s run) landed in the numbers.
    /// </remarks>
    private static async Task Observe(Task call, int i, long due, long sent, double[] service, double[] fromSchedule, Run run)
    {
        try
        {
            await call.ConfigureAwait(false);
            var done = Stopwatch.GetTimestamp();
            service[i] = Stopwatch.GetElapsedTime(sent, done).TotalMilliseconds;
            fromSchedule[i] = Stopwatch.GetElapsedTime(due, done).TotalMilliseconds;
            run.Finished();
        }
        catch (Exception ex)
        {
            run.Done.TrySetException(ex);
        }
    }

    /// <summary>Counts calls still to finish; a failed call fails the run.</summary>
    private sealed class Run(int total)
    {
        private int remaining = total;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Finished()
        {
            if (Interlocked.Decrement(ref remaining) == 0)
            {
                Done.TrySetResult();
            }
        }
    }

    private static void SleepUntil(long due)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        var ticks = wait.Ticks;
        var request = new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        _ = ClockNanosleep(ClockMonotonic, 0, in request, 0);
    }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in Timespec request, nint remain);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
