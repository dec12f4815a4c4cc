using System.Buffers.Binary;
using System.Text;
using Calltracking.Edge.Recording.Calls;
using NPOI.HSSF.UserModel;
using NPOI.POIFS.FileSystem;
using NPOI.SS.UserModel;

namespace Calltracking.Edge.Recording.Tests.Calls;

/// <summary>Workbooks written by <see cref="XlsWriter"/>, read back with NPOI's HSSF (an independent BIFF8 and OLE2 reader).</summary>
public sealed class XlsWriterTests
{
    private static readonly string[] Header = ["Date", "Name", "Duration", "Comment"];

    private static async Task<byte[]> WriteAsync(Func<XlsWriter, Task> rows, string[]? header = null, int dataRowsPerSheet = XlsWriter.MaxDataRowsPerSheet)
    {
        await using var writer = new XlsWriter("Calls", header ?? Header, dataRowsPerSheet);
        await rows(writer);
        using var output = new MemoryStream();
        await writer.CompleteAsync(output, CancellationToken.None);
        return output.ToArray();
    }

    private static HSSFWorkbook Read(byte[] file) => new(new MemoryStream(file));

    [Fact]
    public async Task Header_texts_numbers_and_empty_cells_read_back()
    {
        var file = await WriteAsync(async writer =>
        {
            writer.AddText("2016-07-01 09:30:00");
            writer.AddText("plain ascii");
            writer.AddNumber(60);
            writer.AddText("Привет, мир");
            await writer.EndRowAsync(CancellationToken.None);

            writer.AddText("2016-07-01 10:00:00");
            writer.AddText("emoji 😀 and 𝄞 clef");
            writer.AddNumber(-1.5);
            writer.AddText("café au lait"); // all below U+0100: stored as 8-bit characters
            await writer.EndRowAsync(CancellationToken.None);

            writer.AddText((string?)null);
            writer.AddText(string.Empty);
            writer.AddEmpty();
            writer.AddText("last");
            await writer.EndRowAsync(CancellationToken.None);
        });

        var workbook = Read(file);
        Assert.Equal(1, workbook.NumberOfSheets);
        Assert.Equal("Calls", workbook.GetSheetName(0));
        var sheet = workbook.GetSheetAt(0);
        Assert.Equal(3, sheet.LastRowNum);
        Assert.Equal(Header, Enumerable.Range(0, Header.Length).Select(i => sheet.GetRow(0).GetCell(i).StringCellValue));

        Assert.Equal("2016-07-01 09:30:00", sheet.GetRow(1).GetCell(0).StringCellValue);
        Assert.Equal("plain ascii", sheet.GetRow(1).GetCell(1).StringCellValue);
        Assert.Equal(CellType.Numeric, sheet.GetRow(1).GetCell(2).CellType);
        Assert.Equal(60, sheet.GetRow(1).GetCell(2).NumericCellValue);
        Assert.Equal("Привет, мир", sheet.GetRow(1).GetCell(3).StringCellValue);

        Assert.Equal("emoji 😀 and 𝄞 clef", sheet.GetRow(2).GetCell(1).StringCellValue);
        Assert.Equal(-1.5, sheet.GetRow(2).GetCell(2).NumericCellValue);
        Assert.Equal("café au lait", sheet.GetRow(2).GetCell(3).StringCellValue);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(CellType.Blank, sheet.GetRow(3).GetCell(i).CellType);
            Assert.Equal(string.Empty, sheet.GetRow(3).GetCell(i).StringCellValue);
        }

        Assert.Equal("last", sheet.GetRow(3).GetCell(3).StringCellValue);
    }

    [Fact]
    public async Task No_rows_is_a_workbook_with_the_header_on_sheet_Calls()
    {
        var file = await WriteAsync(_ => Task.CompletedTask);

        var workbook = Read(file);
        Assert.Equal(1, workbook.NumberOfSheets);
        Assert.Equal("Calls", workbook.GetSheetName(0));
        var sheet = workbook.GetSheetAt(0);
        Assert.Equal(0, sheet.LastRowNum);
        Assert.Equal(Header, Enumerable.Range(0, Header.Length).Select(i => sheet.GetRow(0).GetCell(i).StringCellValue));
        // Header sector, a 4096-byte Workbook stream (padded past its last record), directory and FAT sectors.
        Assert.Equal(512 + 4096 + 512 + 512, file.Length);
    }

    [Fact]
    public async Task Texts_longer_than_a_record_continue_and_read_back_equal()
    {
        var mixed = Repeat("Звонок call ", 20_000);
        var ascii = Repeat("0123456789abcdef", 20_000);
        // The first LABEL record has room for 4,107 UTF-16 characters, a CONTINUE for 4,111: put a surrogate pair across both.
        var pairAtFirstEdge = new string('я', 4_106) + "😀" + new string('ж', 4_108) + "👍" + new string('ы', 100);
        string[] texts = [mixed, ascii, pairAtFirstEdge];
        var file = await WriteAsync(async writer =>
        {
            foreach (var text in texts)
            {
                writer.AddText(text);
                writer.AddNumber(text.Length);
                await writer.EndRowAsync(CancellationToken.None);
            }
        });

        var sheet = Read(file).GetSheetAt(0);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i], sheet.GetRow(i + 1).GetCell(0).StringCellValue);
            Assert.Equal(texts[i].Length, sheet.GetRow(i + 1).GetCell(1).NumericCellValue);
        }

        AssertRecordsWellFormed(file);
    }

    [Fact]
    public async Task Texts_over_the_cell_limit_are_cut_to_32767_characters()
    {
        var ascii = Repeat("x", 40_000);
        var cyrillic = Repeat("ю", 40_000);
        var pairAtLimit = new string('a', XlsWriter.MaxTextLength - 1) + "😀" + new string('b', 1_000);
        var file = await WriteAsync(async writer =>
        {
            writer.AddText(ascii);
            writer.AddText(cyrillic);
            writer.AddText(pairAtLimit);
            await writer.EndRowAsync(CancellationToken.None);
        });

        var row = Read(file).GetSheetAt(0).GetRow(1);
        Assert.Equal(ascii[..32_767], row.GetCell(0).StringCellValue);
        Assert.Equal(cyrillic[..32_767], row.GetCell(1).StringCellValue);
        // The cut does not split the pair: the high surrogate goes with it.
        Assert.Equal(pairAtLimit[..32_766], row.GetCell(2).StringCellValue);
    }

    [Fact]
    public async Task More_than_65535_rows_continue_on_sheet_Calls_2()
    {
        const int Rows = XlsWriter.MaxDataRowsPerSheet + 100;
        var file = await WriteAsync(async writer =>
        {
            for (var i = 0; i < Rows; i++)
            {
                writer.AddNumber(i);
                writer.AddText(i % 2 == 0 ? "even" : "нечёт");
                await writer.EndRowAsync(CancellationToken.None);
            }
        });

        var workbook = Read(file);
        Assert.Equal(2, workbook.NumberOfSheets);
        Assert.Equal("Calls", workbook.GetSheetName(0));
        Assert.Equal("Calls 2", workbook.GetSheetName(1));
        var first = workbook.GetSheetAt(0);
        var second = workbook.GetSheetAt(1);
        Assert.Equal(65_535, first.LastRowNum);
        Assert.Equal(100, second.LastRowNum);
        Assert.Equal("Date", first.GetRow(0).GetCell(0).StringCellValue);
        Assert.Equal("Date", second.GetRow(0).GetCell(0).StringCellValue);
        Assert.Equal(0, first.GetRow(1).GetCell(0).NumericCellValue);
        Assert.Equal(65_534, first.GetRow(65_535).GetCell(0).NumericCellValue);
        Assert.Equal("even", first.GetRow(65_535).GetCell(1).StringCellValue);
        Assert.Equal(65_535, second.GetRow(1).GetCell(0).NumericCellValue);
        Assert.Equal("нечёт", second.GetRow(1).GetCell(1).StringCellValue);
        Assert.Equal(Rows - 1, second.GetRow(100).GetCell(0).NumericCellValue);
        AssertRecordsWellFormed(file);
    }

    [Fact]
    public async Task Sheets_roll_over_at_the_configured_row_count_with_their_own_headers()
    {
        var file = await WriteAsync(
            async writer =>
            {
                for (var i = 0; i < 7; i++)
                {
                    writer.AddNumber(i);
                    await writer.EndRowAsync(CancellationToken.None);
                }
            },
            dataRowsPerSheet: 3);

        var workbook = Read(file);
        Assert.Equal(["Calls", "Calls 2", "Calls 3"], Enumerable.Range(0, workbook.NumberOfSheets).Select(workbook.GetSheetName));
        Assert.Equal([3, 3, 1], Enumerable.Range(0, 3).Select(i => workbook.GetSheetAt(i).LastRowNum));
        Assert.Equal(6, workbook.GetSheetAt(2).GetRow(1).GetCell(0).NumericCellValue);
        AssertRecordsWellFormed(file);
    }

    [Fact]
    public async Task A_workbook_needing_DIFAT_sectors_reads_back()
    {
        // Over 109 FAT sectors (109 × 128 sectors × 512 bytes ≈ 7.1 MB) needs DIFAT sectors beyond the header's.
        const int Rows = 12_000;
        string[] header = [.. Enumerable.Range(0, 10).Select(i => $"Column {i}")];
        var file = await WriteAsync(
            async writer =>
            {
                for (var i = 0; i < Rows; i++)
                {
                    writer.AddNumber(i);
                    for (var c = 1; c < 10; c++)
                    {
                        writer.AddText(FormattableString.Invariant($"row {i:D6} column {c} {new string((char)('a' + c), 50)}"));
                    }

                    await writer.EndRowAsync(CancellationToken.None);
                }
            },
            header);

        Assert.True(file.Length > 7_500_000, $"{file.Length} bytes");
        Assert.True(BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(44)) > 109, "FAT sectors");
        Assert.True(BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(72)) >= 1, "DIFAT sectors");
        var sheet = Read(file).GetSheetAt(0);
        Assert.Equal(Rows, sheet.LastRowNum);
        Assert.Equal(0, sheet.GetRow(1).GetCell(0).NumericCellValue);
        Assert.Equal($"row 000000 column 1 {new string('b', 50)}", sheet.GetRow(1).GetCell(1).StringCellValue);
        Assert.Equal(Rows - 1, sheet.GetRow(Rows).GetCell(0).NumericCellValue);
        Assert.Equal($"row {Rows - 1:D6} column 9 {new string('j', 50)}", sheet.GetRow(Rows).GetCell(9).StringCellValue);
        AssertRecordsWellFormed(file);
    }

    [Fact]
    public async Task Writing_twice_is_refused()
    {
        await using var writer = new XlsWriter("Calls", Header);
        await writer.CompleteAsync(Stream.Null, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.CompleteAsync(Stream.Null, CancellationToken.None));
    }

    /// <summary>
    /// The Workbook stream as NPOI's compound file reader sees it: records within BIFF8's 8,224-byte limit, every
    /// BOUNDSHEET8 pointing at a worksheet BOF, and nothing but zeros after the last EOF.
    /// </summary>
    private static void AssertRecordsWellFormed(byte[] file)
    {
        var filesystem = new POIFSFileSystem(new MemoryStream(file));
        using var stream = filesystem.CreateDocumentInputStream("Workbook");
        var workbook = new byte[stream.Available()];
        stream.ReadFully(workbook);

        var sheetOffsets = new List<int>();
        var bofs = new HashSet<int>();
        var position = 0;
        var depth = 0;
        while (true)
        {
            var type = BinaryPrimitives.ReadUInt16LittleEndian(workbook.AsSpan(position));
            var size = BinaryPrimitives.ReadUInt16LittleEndian(workbook.AsSpan(position + 2));
            Assert.True(size <= 8224, $"record 0x{type:X4} at {position} has {size} bytes");
            if (type == 0x0809)
            {
                bofs.Add(position);
                depth++;
            }
            else if (type == 0x0085)
            {
                sheetOffsets.Add(BinaryPrimitives.ReadInt32LittleEndian(workbook.AsSpan(position + 4)));
            }

            position += 4 + size;
            if (type == 0x000A && --depth == 0 && bofs.Count == sheetOffsets.Count + 1)
            {
                break;
            }
        }

        Assert.All(sheetOffsets, offset =>
        {
            Assert.Contains(offset, bofs);
            Assert.Equal(0x0010, BinaryPrimitives.ReadUInt16LittleEndian(workbook.AsSpan(offset + 6)));
        });
        Assert.True(workbook.AsSpan(position).IndexOfAnyExcept((byte)0) < 0, "only padding after the last EOF");
    }

    private static string Repeat(string pattern, int length)
    {
        var text = new StringBuilder(length + pattern.Length);
        while (text.Length < length)
        {
            text.Append(pattern);
        }

        return text.ToString(0, length);
    }
}
