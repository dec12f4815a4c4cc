using System.Buffers.Binary;
using System.IO.Compression;
using System.Xml.Linq;
using Calltracking.Edge.NumberPool.Simulation;
using Calltracking.Edge.Testing;
using StackExchange.Redis;

namespace Calltracking.Edge.NumberPool.Tests.Simulation;

/// <summary>The pool simulator on real Redis: our policy against the naive one, and the chart it draws.</summary>
public sealed class PoolSimulatorTests(EdgeStoresFixture stores) : IClassFixture<EdgeStoresFixture>, IDisposable
{
    private readonly ConnectionMultiplexer redis = ConnectionMultiplexer.Connect(stores.Redis.Configuration);

    public void Dispose() => redis.Dispose();

    private static readonly SimulationSettings Small = new() { ArrivalsPerMinute = 12, Minutes = 40, Seed = 7 };

    [Fact]
    public async Task Our_policy_beats_the_naive_one_at_every_pool_size_and_is_near_exact_with_room_to_spare()
    {
        var report = await new PoolSimulator(redis).RunAsync(Small, null);

        Assert.True(report.Calls > 50, $"only {report.Calls} calls");
        Assert.True(report.PeakConcurrentVisitors > 10);
        Assert.All(report.Results, r => Assert.True(r.Ours.Accuracy > r.Naive.Accuracy, $"pool {r.PoolSize}: ours {r.Ours.Accuracy:P1} vs naive {r.Naive.Accuracy:P1}"));
        var roomy = report.Results.Single(r => r.PoolSize == (int)Math.Round(report.PeakConcurrentVisitors * 1.5));
        Assert.True(roomy.Ours.AccuracyWithinWindow >= 0.99, $"{roomy.Ours.AccuracyWithinWindow:P1}");
        Assert.Equal(0, roomy.Ours.SharedHandOuts);

        // Every run used throwaway keys and removed them.
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        Assert.Empty(server.Keys(pattern: "ct:{p9*"));
    }

    [Fact]
    public async Task The_same_seed_replays_the_same_result()
    {
        var simulator = new PoolSimulator(redis);
        var first = await simulator.RunAsync(Small, [8]);
        var second = await simulator.RunAsync(Small, [8]);
        Assert.Equal(first.Results.Single(), second.Results.Single());
    }

    [Fact]
    public async Task The_chart_is_a_valid_png_and_svg()
    {
        var report = await new PoolSimulator(redis).RunAsync(Small with { Minutes = 10 }, [3, 6, 12]);
        var png = AccuracyChart.Png(report);

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        var offset = 8;
        var idat = new MemoryStream();
        int width = 0, height = 0;
        while (offset < png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            Assert.Equal(BitwiseCrc32(png.AsSpan(offset + 4, 4 + length)), crc);
            if (type == "IHDR")
            {
                (width, height) = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]));
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            offset += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        Assert.Equal(height * (1 + (width * 3)), inflated.Length);
        var pixels = inflated.ToArray();
        Assert.Contains(pixels, b => b != 0xFF && b != 0);

        var svg = XDocument.Parse(AccuracyChart.Svg(report));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(9, svg.Descendants(ns + "circle").Count());
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value.StartsWith("PEAK CONCURRENT VISITORS", StringComparison.Ordinal));
    }

    /// <summary>CRC-32 computed bit by bit, independently of the chart's table-driven one.</summary>
    private static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
            }
        }

        return ~crc;
    }

    [Theory]
    [InlineData("exp:3", 3.0)]
    [InlineData("uniform:1-5", 3.0)]
    [InlineData("fixed:2", 2.0)]
    public void Distributions_parse_and_sample_around_their_mean(string text, double mean)
    {
        var distribution = Distribution.Parse(text);
        var random = new Random(1);
        var average = Enumerable.Range(0, 20_000).Average(_ => distribution.Sample(random));
        Assert.InRange(average, mean * 0.95, mean * 1.05);
        Assert.Equal(mean, distribution.Mean, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("exp")]
    [InlineData("exp:0")]
    [InlineData("exp:x")]
    [InlineData("uniform:5-1")]
    [InlineData("lognormal:3")]
    [InlineData("fixed:-1")]
    [InlineData("normal:3:1")]
    public void Bad_distributions_are_refused_with_a_reason(string text)
    {
        Assert.False(Distribution.TryParse(text, out _, out var error));
        Assert.Contains(text.Length == 0 ? "''" : text, error, StringComparison.Ordinal);
    }
}
