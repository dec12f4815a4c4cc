namespace Calltracking.Shared.Metrics;

/// <summary>
/// The running value of one label set. Updates are lock-free (<see cref="Interlocked"/>); a scrape reads
/// whatever has landed, which Prometheus tolerates (each sample is read atomically).
/// </summary>
internal sealed class Series
{
    private long _longValue;
    private double _doubleValue;
    private double _sum;
    private readonly long[]? _buckets;
    private int _generation;

    public Series(SamplePrefixes prefixes, int bucketCount)
    {
        Prefixes = prefixes;
        _buckets = bucketCount > 0 ? new long[bucketCount + 1] : null;
    }

    /// <summary>Each sample line up to its value, rendered once so a scrape copies one span per line.</summary>
    public SamplePrefixes Prefixes { get; }

    public long LongValue => Volatile.Read(ref _longValue);

    public double DoubleValue => Volatile.Read(ref _doubleValue);

    public double Sum => Volatile.Read(ref _sum);

    public int Generation => Volatile.Read(ref _generation);

    public long BucketCount(int index) => Volatile.Read(ref _buckets![index]);

    public void Add(long increment) => Interlocked.Add(ref _longValue, increment);

    public void Add(double increment) => AddDouble(ref _doubleValue, increment);

    public void Set(double value) => Volatile.Write(ref _doubleValue, value);

    /// <summary>An observable instrument's report: the value, and the scrape that saw it (series not seen go stale).</summary>
    public void Observe(double value, int generation)
    {
        Volatile.Write(ref _doubleValue, value);
        Volatile.Write(ref _generation, generation);
    }

    /// <summary>Counts <paramref name="value"/> in its bucket (non-cumulative; the writer accumulates).</summary>
    public void Record(double value, double[] bounds)
    {
        int index;
        if (bounds.Length <= 16)
        {
            index = 0;
            while (index < bounds.Length && value > bounds[index])
            {
                index++;
            }
        }
        else
        {
            index = Array.BinarySearch(bounds, value);
            if (index < 0)
            {
                index = ~index;
            }
        }

        Interlocked.Increment(ref _buckets![index]);
        AddDouble(ref _sum, value);
    }

    private static void AddDouble(ref double location, double increment)
    {
        var current = Volatile.Read(ref location);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref location, current + increment, current);
            if (seen.Equals(current))
            {
                return;
            }

            current = seen;
        }
    }
}
