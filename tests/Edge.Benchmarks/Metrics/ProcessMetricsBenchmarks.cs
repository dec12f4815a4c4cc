using BenchmarkDotNet.Attributes;
using Calltracking.Shared.Metrics;

namespace Calltracking.Edge.Benchmarks.Metrics;

/// <summary>
/// The process/runtime families of one scrape, and ways of counting open descriptors (the costliest read among them).
/// Command: <c>dotnet run -c Release --project tests/Edge.Benchmarks -- --filter '*ProcessMetricsBenchmarks*' --inProcess</c>.
/// </summary>
[MemoryDiagnoser]
public class ProcessMetricsBenchmarks
{
    private readonly ProcessMetrics _process = new();

    [Benchmark]
    public int WriteProcessFamilies()
    {
        var buffer = new ExpositionBuffer(8192);
        _process.WriteTo(buffer);
        var length = buffer.Length;
        buffer.Return();
        return length;
    }

    [Benchmark]
    public TimeSpan CpuUsage() => Environment.CpuUsage.TotalTime;

    [Benchmark]
    public long OpenFdsByReaddir() => OpenFileCount.Read();

    [Benchmark]
    public int OpenFdsByEnumerable()
    {
        var count = 0;
        foreach (var _ in new System.IO.Enumeration.FileSystemEnumerable<byte>("/proc/self/fd", static (ref System.IO.Enumeration.FileSystemEntry _) => 0, new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            count++;
        }

        return count;
    }

    [Benchmark]
    public int OpenFdsByDirectory() => Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
}
