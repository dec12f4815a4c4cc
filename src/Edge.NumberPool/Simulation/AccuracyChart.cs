using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Security;
using System.Text;

namespace Calltracking.Edge.NumberPool.Simulation;

/// <summary>
/// The accuracy-vs-pool-size curve of a simulation, drawn once through a tiny canvas interface and rendered both as
/// SVG (text) and PNG (our own rasteriser with a 5×7 bitmap font and a zlib-compressed PNG writer), so the chart
/// needs no drawing library.
/// </summary>
public static class AccuracyChart
{
    private const int Width = 880;
    private const int Height = 540;
    private const int Left = 80;
    private const int Right = 40;
    private const int Top = 70;
    private const int Bottom = 140;

    private static readonly (string Name, uint Color, Func<PoolSizeResult, double> Value)[] Series =
    [
        ("OURS, CALLS IN THE LATE WINDOW", 0x1F77B4, r => r.Ours.AccuracyWithinWindow),
        ("OURS, ALL CALLS", 0x2CA02C, r => r.Ours.Accuracy),
        ("NAIVE (RANDOM FREE NUMBER, NO HISTORY), ALL CALLS", 0xD62728, r => r.Naive.Accuracy),
    ];

    public static string Svg(SimulationReport report)
    {
        var svg = new SvgCanvas();
        Draw(report, svg);
        return svg.ToString();
    }

    public static byte[] Png(SimulationReport report)
    {
        var raster = new RasterCanvas(Width, Height);
        Draw(report, raster);
        return raster.EncodePng();
    }

    private static void Draw(SimulationReport report, ICanvas canvas)
    {
        canvas.Fill(0xFFFFFF);
        var results = report.Results.OrderBy(r => r.PoolSize).ToList();
        var maxX = Math.Max(results.Count == 0 ? 1 : results[^1].PoolSize, report.PeakConcurrentVisitors) * 1.05;
        var minY = Math.Floor(Math.Min(0.5, results.SelectMany(r => Series.Select(s => s.Value(r))).DefaultIfEmpty(0.5).Min()) * 10) / 10;
        double X(double pool) => Left + ((Width - Left - Right) * pool / maxX);
        double Y(double accuracy) => Top + ((Height - Top - Bottom) * (1 - ((accuracy - minY) / (1 - minY))));

        canvas.Text(Left, 24, "ACCURACY OF CALL ATTRIBUTION VS POOL SIZE", 0x000000, 2);
        canvas.Text(Left, 44, FormattableString.Invariant($"{report.Visitors} VISITORS, {report.Calls} CALLS, {report.Settings.ArrivalsPerMinute:0.#}/MIN, SESSION {report.Settings.Session.Text.ToUpperInvariant()}, CALL DELAY {report.Settings.CallDelay.Text.ToUpperInvariant()}"), 0x444444, 1);
        canvas.Text(8, Top - 12, "ACCURACY, %", 0x000000, 1);
        for (var i = 0; i <= 10; i++)
        {
            var accuracy = minY + ((1 - minY) * i / 10);
            var y = Y(accuracy);
            canvas.Line(Left, y, Width - Right, y, 0xE5E5E5, 1, dashed: false);
            canvas.Text(Left - 44, y - 4, (accuracy * 100).ToString("0", CultureInfo.InvariantCulture), 0x000000, 1);
        }

        var step = NiceStep(maxX / 8);
        for (var pool = 0.0; pool <= maxX; pool += step)
        {
            var x = X(pool);
            canvas.Line(x, Top, x, Height - Bottom, 0xE5E5E5, 1, dashed: false);
            canvas.Text(x - 8, Height - Bottom + 10, pool.ToString("0", CultureInfo.InvariantCulture), 0x000000, 1);
        }

        canvas.Line(Left, Height - Bottom, Width - Right, Height - Bottom, 0x000000, 1, dashed: false);
        canvas.Line(Left, Top, Left, Height - Bottom, 0x000000, 1, dashed: false);
        canvas.Text(Left + ((Width - Left - Right) / 2) - 80, Height - Bottom + 28, "POOL SIZE (NUMBERS)", 0x000000, 1);

        var peakX = X(report.PeakConcurrentVisitors);
        canvas.Line(peakX, Top, peakX, Height - Bottom, 0x7F7F7F, 2, dashed: true);
        canvas.Text(peakX + 6, Top + 6, FormattableString.Invariant($"PEAK CONCURRENT VISITORS = {report.PeakConcurrentVisitors}"), 0x555555, 1);

        for (var s = 0; s < Series.Length; s++)
        {
            var (name, color, value) = Series[s];
            for (var i = 0; i < results.Count; i++)
            {
                var (x, y) = (X(results[i].PoolSize), Y(value(results[i])));
                if (i > 0)
                {
                    canvas.Line(X(results[i - 1].PoolSize), Y(value(results[i - 1])), x, y, color, 3, dashed: false);
                }

                canvas.Dot(x, y, 4, color);
            }

            var legendY = Height - Bottom + 56 + (s * 20);
            canvas.Line(Left, legendY + 4, Left + 30, legendY + 4, color, 3, dashed: false);
            canvas.Text(Left + 40, legendY, name, 0x000000, 1);
        }
    }

    private static double NiceStep(double rough)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(rough, 1))));
        var normalized = rough / magnitude;
        return (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
    }

    private interface ICanvas
    {
        void Fill(uint color);

        void Line(double x1, double y1, double x2, double y2, uint color, int width, bool dashed);

        void Dot(double x, double y, int radius, uint color);

        /// <summary>Text with its top-left corner at (x, y); scale 1 is 7 px tall in the raster.</summary>
        void Text(double x, double y, string text, uint color, int scale);
    }

    private sealed class SvgCanvas : ICanvas
    {
        private readonly StringBuilder svg = new(FormattableString.Invariant($"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">""") + "\n");

        public void Fill(uint color) => svg.Append(FormattableString.Invariant($"""<rect width="{Width}" height="{Height}" fill="#{color:X6}"/>""")).Append('\n');

        public void Line(double x1, double y1, double x2, double y2, uint color, int width, bool dashed) =>
            svg.Append(FormattableString.Invariant($"""<line x1="{x1:0.#}" y1="{y1:0.#}" x2="{x2:0.#}" y2="{y2:0.#}" stroke="#{color:X6}" stroke-width="{width}"{(dashed ? " stroke-dasharray=\"6 4\"" : string.Empty)}/>""")).Append('\n');

        public void Dot(double x, double y, int radius, uint color) =>
            svg.Append(FormattableString.Invariant($"""<circle cx="{x:0.#}" cy="{y:0.#}" r="{radius}" fill="#{color:X6}"/>""")).Append('\n');

        public void Text(double x, double y, string text, uint color, int scale) =>
            svg.Append(FormattableString.Invariant($"""<text x="{x:0.#}" y="{y + (7 * scale):0.#}" font-size="{9 * scale + 2}" fill="#{color:X6}">{SecurityElement.Escape(text)}</text>""")).Append('\n');

        public override string ToString() => svg + "</svg>\n";
    }

    private sealed class RasterCanvas(int width, int height) : ICanvas
    {
        private readonly byte[] pixels = new byte[width * height * 3];

        public void Fill(uint color)
        {
            for (var i = 0; i < width * height; i++)
            {
                Set(i % width, i / width, color);
            }
        }

        public void Line(double x1, double y1, double x2, double y2, uint color, int lineWidth, bool dashed)
        {
            var length = Math.Max(Math.Abs(x2 - x1), Math.Abs(y2 - y1));
            var steps = Math.Max(1, (int)Math.Ceiling(length));
            for (var i = 0; i <= steps; i++)
            {
                if (dashed && i % 10 >= 6)
                {
                    continue;
                }

                var x = x1 + ((x2 - x1) * i / steps);
                var y = y1 + ((y2 - y1) * i / steps);
                var half = lineWidth / 2;
                for (var dx = -half; dx < lineWidth - half; dx++)
                {
                    for (var dy = -half; dy < lineWidth - half; dy++)
                    {
                        Set((int)Math.Round(x) + dx, (int)Math.Round(y) + dy, color);
                    }
                }
            }
        }

        public void Dot(double x, double y, int radius, uint color)
        {
            for (var dx = -radius; dx <= radius; dx++)
            {
                for (var dy = -radius; dy <= radius; dy++)
                {
                    if ((dx * dx) + (dy * dy) <= radius * radius)
                    {
                        Set((int)Math.Round(x) + dx, (int)Math.Round(y) + dy, color);
                    }
                }
            }
        }

        public void Text(double x, double y, string text, uint color, int scale)
        {
            var penX = (int)Math.Round(x);
            foreach (var c in text)
            {
                var glyph = Font.Glyph(c);
                for (var row = 0; row < 7; row++)
                {
                    for (var col = 0; col < 5; col++)
                    {
                        if ((glyph[row] & (0x10 >> col)) == 0)
                        {
                            continue;
                        }

                        for (var sx = 0; sx < scale; sx++)
                        {
                            for (var sy = 0; sy < scale; sy++)
                            {
                                Set(penX + (col * scale) + sx, (int)Math.Round(y) + (row * scale) + sy, color);
                            }
                        }
                    }
                }

                penX += 6 * scale;
            }
        }

        /// <summary>PNG (RFC 2083): 8-bit RGB, filter 0 on every row, one zlib IDAT.</summary>
        public byte[] EncodePng()
        {
            using var raw = new MemoryStream();
            using (var zlib = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                for (var y = 0; y < height; y++)
                {
                    zlib.WriteByte(0);
                    zlib.Write(pixels, y * width * 3, width * 3);
                }
            }

            using var png = new MemoryStream();
            png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
            Span<byte> header = stackalloc byte[13];
            BinaryPrimitives.WriteInt32BigEndian(header, width);
            BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
            header[8] = 8;
            header[9] = 2;
            Chunk(png, "IHDR", header);
            Chunk(png, "IDAT", raw.ToArray());
            Chunk(png, "IEND", []);
            return png.ToArray();
        }

        private static void Chunk(Stream png, string type, ReadOnlySpan<byte> data)
        {
            Span<byte> word = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
            png.Write(word);
            var typeBytes = Encoding.ASCII.GetBytes(type);
            png.Write(typeBytes);
            png.Write(data);
            BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Update(Crc32.Update(0xFFFFFFFF, typeBytes), data) ^ 0xFFFFFFFF);
            png.Write(word);
        }

        private void Set(int x, int y, uint color)
        {
            if ((uint)x >= (uint)width || (uint)y >= (uint)height)
            {
                return;
            }

            var i = ((y * width) + x) * 3;
            pixels[i] = (byte)(color >> 16);
            pixels[i + 1] = (byte)(color >> 8);
            pixels[i + 2] = (byte)color;
        }
    }

    /// <summary>The PNG chunk checksum (CRC-32, polynomial 0xEDB88320).</summary>
    internal static class Crc32
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            var c = (uint)n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            return c;
        }).ToArray();

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (var b in data)
            {
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            return crc;
        }
    }

    /// <summary>A 5×7 bitmap font for the chart's labels: digits, capitals and a little punctuation.</summary>
    private static class Font
    {
        private static readonly Dictionary<char, byte[]> Glyphs = new()
        {
            ['0'] = [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E], ['1'] = [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
            ['2'] = [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F], ['3'] = [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
            ['4'] = [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02], ['5'] = [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
            ['6'] = [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E], ['7'] = [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
            ['8'] = [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E], ['9'] = [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
            ['A'] = [0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11], ['B'] = [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
            ['C'] = [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E], ['D'] = [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
            ['E'] = [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F], ['F'] = [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
            ['G'] = [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F], ['H'] = [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
            ['I'] = [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E], ['J'] = [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
            ['K'] = [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11], ['L'] = [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
            ['M'] = [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11], ['N'] = [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
            ['O'] = [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E], ['P'] = [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
            ['Q'] = [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D], ['R'] = [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
            ['S'] = [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E], ['T'] = [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
            ['U'] = [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E], ['V'] = [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
            ['W'] = [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A], ['X'] = [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
            ['Y'] = [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04], ['Z'] = [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
            ['%'] = [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03], ['.'] = [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
            [','] = [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08], ['('] = [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
            [')'] = [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08], ['-'] = [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
            ['/'] = [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00], [':'] = [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
            ['='] = [0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00], [' '] = [0, 0, 0, 0, 0, 0, 0],
        };

        public static byte[] Glyph(char c) => Glyphs.TryGetValue(char.ToUpperInvariant(c), out var glyph) ? glyph : Glyphs['-'];
    }
}
