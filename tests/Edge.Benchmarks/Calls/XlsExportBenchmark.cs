using System.Diagnostics;
using System.Globalization;
using Calltracking.Edge.Recording.Calls;
using NPOI.HSSF.UserModel;

namespace Calltracking.Edge.Benchmarks.Calls;

/// <summary>
/// The call export's workbook: <see cref="XlsWriter"/> (streaming BIFF8, spooled to a temporary file) against NPOI's
/// in-memory <see cref="HSSFWorkbook"/> filling the same synthetic rows in the same run, both with the export's 20
/// columns and a new sheet every 65,535 rows, written to a byte-counting null stream. Reports rows per second, bytes
/// allocated, the live managed heap once every row is in (a full collection just before the file is written, which is
/// where the in-memory workbook peaks) and the largest heap size sampled while running, three rounds each; the ratios
/// of the medians are the result. The XlsWriter time includes its spool file's write and read back.
///
///   xls [rows, default 200,000]
/// </summary>
internal static class XlsExportBenchmark
{
    private const int Rounds = 3;

    public static async Task RunAsync(int rows)
    {
        var values = Synthetic(Math.Max(rows, 2_000));
        await MeasureAsync("warm-up", 2_000, values, Ours, quiet: true);
        await MeasureAsync("warm-up", 2_000, values, Npoi, quiet: true);
        var startPeakWorkingSet = Process.GetCurrentProcess().PeakWorkingSet64;

        Console.WriteLine(FormattableString.Invariant($"rows: {rows:N0} x {CallExport.Columns.Length} columns (synthetic calls, Latin and Cyrillic text, a number); {Rounds} rounds each, median rows/s"));
        var ours = new List<Result>();
        for (var round = 0; round < Rounds; round++)
        {
            ours.Add(await MeasureAsync("XlsWriter (streaming)", rows, values, Ours, quiet: false));
        }

        var oursPeakWorkingSet = Process.GetCurrentProcess().PeakWorkingSet64;
        var npoi = new List<Result>();
        for (var round = 0; round < Rounds; round++)
        {
            npoi.Add(await MeasureAsync("NPOI HSSFWorkbook    ", rows, values, Npoi, quiet: false));
        }

        var npoiPeakWorkingSet = Process.GetCurrentProcess().PeakWorkingSet64;
        var (oursMedian, npoiMedian) = (Median(ours), Median(npoi));
        Console.WriteLine(FormattableString.Invariant($"median: XlsWriter {oursMedian.RowsPerSecond:N0} rows/s, NPOI {npoiMedian.RowsPerSecond:N0} rows/s"));
        Console.WriteLine(FormattableString.Invariant($"process peak working set: {Mb(startPeakWorkingSet)} with the synthetic rows made and both warmed up, {Mb(oursPeakWorkingSet)} after XlsWriter, {Mb(npoiPeakWorkingSet)} after NPOI"));
        Console.WriteLine(FormattableString.Invariant($"XlsWriter against NPOI: {oursMedian.RowsPerSecond / npoiMedian.RowsPerSecond:F1}x the rows/s; NPOI allocates {(double)npoiMedian.Allocated / oursMedian.Allocated:N0}x the bytes, holds {(double)npoiMedian.Live / oursMedian.Live:N0}x the live heap, peaks at {(double)npoiMedian.PeakHeap / oursMedian.PeakHeap:N0}x the heap"));
    }

    private static Result Median(List<Result> results) => results.OrderBy(r => r.RowsPerSecond).ElementAt(results.Count / 2);

    private sealed record Result(double RowsPerSecond, long Allocated, long Live, long PeakHeap);

    private static async Task<Result> MeasureAsync(string name, int rows, string?[][] values, Func<int, string?[][], Action, CountingStream, Task> run, bool quiet)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long live = 0;
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false) - baseline);
                await Task.Delay(5);
            }
        });

        var elapsed = new Stopwatch();
        using var output = new CountingStream();
        elapsed.Start();
        await run(rows, values, () =>
        {
            // Excluded from the time: a full collection to see what the writer holds once every row is in.
            elapsed.Stop();
            live = GC.GetTotalMemory(forceFullCollection: true) - baseline;
            elapsed.Start();
        }, output);
        elapsed.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await sampling.CancelAsync();
        await sampler;
        peak = Math.Max(peak, live);

        var rowsPerSecond = rows / elapsed.Elapsed.TotalSeconds;
        if (!quiet)
        {
            Console.WriteLine(FormattableString.Invariant(
                $"{name}: {elapsed.Elapsed.TotalSeconds,6:F2} s, {rowsPerSecond,9:N0} rows/s, {output.Length / 1e6:F1} MB file, allocated {Mb(allocated)}, live heap with all rows in {Mb(live)}, sampled peak heap {Mb(peak)}"));
        }

        return new Result(rowsPerSecond, allocated, Math.Max(live, 1), Math.Max(peak, 1));
    }

    private static async Task Ours(int rows, string?[][] values, Action rowsDone, CountingStream output)
    {
        await using var workbook = new XlsWriter("Calls", CallExport.Columns);
        for (var i = 0; i < rows; i++)
        {
            var row = values[i];
            for (var c = 0; c < row.Length; c++)
            {
                if (c == 4)
                {
                    workbook.AddNumber(30 + (i % 600));
                }
                else
                {
                    workbook.AddText(row[c]);
                }
            }

            await workbook.EndRowAsync(CancellationToken.None);
        }

        rowsDone();
        await workbook.CompleteAsync(output, CancellationToken.None);
    }

    /// <summary>What the export did before: HSSF cells for every row, written through a memory buffer.</summary>
    private static async Task Npoi(int rows, string?[][] values, Action rowsDone, CountingStream output)
    {
        var workbook = new HSSFWorkbook();
        HSSFSheet? sheet = null;
        var rowIndex = 0;
        for (var i = 0; i < rows; i++)
        {
            if (sheet is null || rowIndex == XlsWriter.MaxDataRowsPerSheet + 1)
            {
                sheet = (HSSFSheet)workbook.CreateSheet(sheet is null ? "Calls" : $"Calls {workbook.NumberOfSheets + 1}");
                var header = sheet.CreateRow(0);
                for (var c = 0; c < CallExport.Columns.Length; c++)
                {
                    header.CreateCell(c).SetCellValue(CallExport.Columns[c]);
                }

                rowIndex = 1;
            }

            var cells = sheet.CreateRow(rowIndex++);
            var row = values[i];
            for (var c = 0; c < row.Length; c++)
            {
                if (c == 4)
                {
                    cells.CreateCell(c).SetCellValue(30 + (i % 600));
                }
                else
                {
                    cells.CreateCell(c).SetCellValue(row[c] ?? string.Empty);
                }
            }
        }

        rowsDone();
        using var buffer = new MemoryStream();
        workbook.Write(buffer);
        buffer.Position = 0;
        await buffer.CopyToAsync(output);
    }

    /// <summary>
    /// Rows shaped like calls with visits, made before either run so both writers get the same strings: dates, callers,
    /// visits, links and pages differ on every row (as they do in real exports, where a shared string table saves
    /// little); statuses, cities and UTM values repeat.
    /// </summary>
    private static string?[][] Synthetic(int count)
    {
        string[] statuses = ["ANSWER", "ANSWER", "ANSWER", "BUSY", "NOANSWER", "CANCEL"];
        string[] cities = ["Москва", "Санкт-Петербург", "Kazan", "Новосибирск", "Minsk"];
        string[] markers = ["direct", "google_cpc", "yandex_direct", "site", "vk_ads"];
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var rows = new string?[count][];
        for (var i = 0; i < count; i++)
        {
            var visit = (100_000 + i).ToString(CultureInfo.InvariantCulture);
            rows[i] =
            [
                start.AddSeconds(i * 61).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                FormattableString.Invariant($"7916{(long)i * 7919 % 10_000_000:D7}"),
                FormattableString.Invariant($"7495{i % 50:D7}"),
                statuses[i % statuses.Length],
                null, // Duration: a number cell
                i % 3 == 0 ? FormattableString.Invariant($"https://edge.example/calltracking/call/{new Guid(i, 0, 0, new byte[8])}/file/{i:x8}0123456789abcdef") : null,
                i % 10 == 0 ? FormattableString.Invariant($"order-{i}") : null,
                i % 25 == 0 ? "Перезвонить после обеда, спросить про доставку" : null,
                visit,
                FormattableString.Invariant($"{markers[i % markers.Length]}_{i % 97}"),
                cities[i % cities.Length],
                i % 5 == 4 ? "Беларусь" : "Россия",
                "shop.example",
                FormattableString.Invariant($"https://www.google.com/search?q=buy+{i % 500}"),
                FormattableString.Invariant($"https://shop.example/catalog/item-{i}?utm_source=google&utm_medium=cpc"),
                "google",
                "cpc",
                FormattableString.Invariant($"spring_sale_{i % 12}"),
                i % 2 == 0 ? "купить телефон" : "buy phone",
                FormattableString.Invariant($"ad_{i % 40}"),
            ];
        }

        return rows;
    }

    private static string Mb(long bytes) => FormattableString.Invariant($"{bytes / 1048576.0:F1} MB");

    /// <summary>Discards what is written and counts it.</summary>
    private sealed class CountingStream : Stream
    {
        private long length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => length;

        public override long Position
        {
            get => length;
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => length += buffer.Length;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            length += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            length += count;
            return Task.CompletedTask;
        }
    }
}
