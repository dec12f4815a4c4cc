namespace Calltracking.Shared.Metrics;

/// <summary>
/// The bytes before the value of each line a series writes: <c>name{labels} </c>, or for a histogram
/// <c>name_bucket{labels,</c> (the writer adds <c>le="…"} </c>), <c>name_sum{labels} </c> and <c>name_count{labels} </c>.
/// Rendering them when the series is created cut a 10k-series scrape's copies per line from up to seven to two.
/// </summary>
internal sealed record SamplePrefixes(byte[] Sample, byte[] Bucket, byte[] Sum, byte[] Count)
{
    public static SamplePrefixes For(string metricName, byte[] labels, bool histogram)
    {
        if (!histogram)
        {
            return new SamplePrefixes(Line(metricName, labels), [], [], []);
        }

        var bucket = new List<byte>(metricName.Length + labels.Length + 10);
        bucket.AddRange(System.Text.Encoding.UTF8.GetBytes(metricName + "_bucket{"));
        bucket.AddRange(labels);
        if (labels.Length > 0)
        {
            bucket.Add((byte)',');
        }

        return new SamplePrefixes([], bucket.ToArray(), Line(metricName + "_sum", labels), Line(metricName + "_count", labels));
    }

    private static byte[] Line(string name, byte[] labels)
    {
        var bytes = new List<byte>(name.Length + labels.Length + 3);
        bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(name));
        if (labels.Length > 0)
        {
            bytes.Add((byte)'{');
            bytes.AddRange(labels);
            bytes.Add((byte)'}');
        }

        bytes.Add((byte)' ');
        return bytes.ToArray();
    }
}
