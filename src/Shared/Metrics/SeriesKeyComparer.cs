using System.Diagnostics.CodeAnalysis;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// Compares stored label sets with the tags of a measurement as they arrive. The hash is a sum of per-tag hashes,
/// so it does not depend on tag order; equality looks each tag up by name (label sets are a handful of tags).
/// </summary>
internal sealed class SeriesKeyComparer : IEqualityComparer<SeriesKey>, IAlternateEqualityComparer<TagSpan, SeriesKey>
{
    public static readonly SeriesKeyComparer Instance = new();

    public static int HashOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var hash = tags.Length;
        foreach (var tag in tags)
        {
            hash = unchecked(hash + HashCode.Combine(tag.Key, tag.Value));
        }

        return hash;
    }

    public bool Equals(SeriesKey? x, SeriesKey? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.Hash != y.Hash || x.Names.Length != y.Names.Length)
        {
            return false;
        }

        for (var i = 0; i < x.Names.Length; i++)
        {
            if (!string.Equals(x.Names[i], y.Names[i], StringComparison.Ordinal) || !Equals(x.Values[i], y.Values[i]))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode([DisallowNull] SeriesKey obj) => obj.Hash;

    public bool Equals(TagSpan alternate, SeriesKey other)
    {
        var tags = alternate.Tags;
        if (tags.Length != other.Names.Length)
        {
            return false;
        }

        foreach (var tag in tags)
        {
            var index = Array.IndexOf(other.Names, tag.Key);
            if (index < 0 || !Equals(tag.Value, other.Values[index]))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(TagSpan alternate) => HashOf(alternate.Tags);

    public SeriesKey Create(TagSpan alternate) => new(alternate.Tags);
}
