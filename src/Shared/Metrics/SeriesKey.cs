namespace Calltracking.Shared.Metrics;

/// <summary>
/// A label set as stored: tag names sorted ordinally with their values as recorded. Equality ignores the order
/// the caller passed the tags in, so <c>(a, b)</c> and <c>(b, a)</c> land in one series.
/// </summary>
internal sealed class SeriesKey
{
    public SeriesKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = tags.ToArray();
        Array.Sort(pairs, static (x, y) => string.CompareOrdinal(x.Key, y.Key));
        Names = new string[pairs.Length];
        Values = new object?[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            Names[i] = pairs[i].Key;
            Values[i] = pairs[i].Value;
        }

        Hash = SeriesKeyComparer.HashOf(tags);
    }

    public string[] Names { get; }

    public object?[] Values { get; }

    public int Hash { get; }
}

/// <summary>The tags of one measurement, looked up without copying (the hot path allocates nothing for a known series).</summary>
internal readonly ref struct TagSpan(ReadOnlySpan<KeyValuePair<string, object?>> tags)
{
    public ReadOnlySpan<KeyValuePair<string, object?>> Tags { get; } = tags;
}
