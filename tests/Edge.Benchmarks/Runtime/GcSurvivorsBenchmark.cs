using System.Diagnostics;
using System.Globalization;

namespace Calltracking.Edge.Benchmarks.Runtime;

/// <summary>
/// What a young collection costs under the edge's GC settings (workstation, concurrent, an 8 MiB young generation, as
/// <c>deploy/</c> sets), by how much of what is allocated survives it. Each case runs in a child process of its own
/// with those settings: it allocates 64-byte objects at 50 MB/s (about the edge's rate at 2,000 calls/s) and keeps a
/// share of them for a few seconds, as calls in progress are kept. Prints per case the collections, the pause per
/// collection and the longest stall a spinning thread saw.
/// </summary>
internal static class GcSurvivorsBenchmark
{
    private const int ObjectBytes = 64;
    private const int BytesPerSecond = 50_000_000;

    /// <summary>Runs the cases (per-mille of objects kept: 0, 10, 50, 150), each in its own process.</summary>
    public static void Run(int seconds)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var assembly = typeof(GcSurvivorsBenchmark).Assembly.Location;
        Console.WriteLine(FormattableString.Invariant($"young collections with an 8 MiB young generation, {ObjectBytes}-byte objects at {BytesPerSecond / 1_000_000} MB/s, {seconds} s per case, kept objects live 5 s"));
        foreach (var keepPerMille in new[] { 0, 10, 50, 150 })
        {
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
            if (!self.EndsWith("Calltracking.Edge.Benchmarks", StringComparison.Ordinal))
            {
                start.ArgumentList.Add(assembly); // run through the dotnet host
            }

            foreach (var arg in new[] { "gc-survivors-case", keepPerMille.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["DOTNET_GCgen0size"] = "0x800000";
            start.Environment["DOTNET_gcServer"] = "0";
            start.Environment["DOTNET_gcConcurrent"] = "1";
            start.Environment["DOTNET_GCRetainVM"] = "0";
            using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the case");
            Console.Write(child.StandardOutput.ReadToEnd());
            child.WaitForExit();
        }
    }

    /// <summary>One case, in the child process: allocate at the set rate, keep the given share for 5 s, report.</summary>
    public static void RunCase(int keepPerMille, int seconds)
    {
        var random = new Random(1);
        var kept = new Queue<(long At, byte[] Value)>();
        var perSecond = BytesPerSecond / ObjectBytes;
        var linger = Stopwatch.Frequency * 5;
        var stalls = new List<double>();
        long allocated = 0;
        var clock = Stopwatch.StartNew();
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var paused = GC.GetTotalPauseDuration();
        var last = Stopwatch.GetTimestamp();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * perSecond);
            for (; allocated < due; allocated++)
            {
                var value = new byte[ObjectBytes - 24]; // 24 bytes of header and length on 64-bit
                if (random.Next(1000) < keepPerMille)
                {
                    kept.Enqueue((Stopwatch.GetTimestamp(), value));
                }
            }

            var now = Stopwatch.GetTimestamp();
            while (kept.Count > 0 && now - kept.Peek().At > linger)
            {
                kept.Dequeue();
            }

            var gap = Stopwatch.GetElapsedTime(last, now).TotalMilliseconds;
            last = now;
            if (gap > 0.5)
            {
                stalls.Add(gap);
            }

            Thread.SpinWait(50);
        }

        var collections = GC.CollectionCount(0) - gen0;
        var pause = (GC.GetTotalPauseDuration() - paused).TotalMilliseconds;
        stalls.Sort();
        Console.WriteLine(FormattableString.Invariant(
            $"kept {keepPerMille / 10.0,4:F1} %: collections gen0/1/2 {collections}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}, paused {pause:F0} ms in all, {(collections > 0 ? pause / collections : 0):F2} ms per collection; stalls > 0.5 ms: {stalls.Count}, longest {(stalls.Count > 0 ? stalls[^1] : 0):F2} ms"));
    }
}
