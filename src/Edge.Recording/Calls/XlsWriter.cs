using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// Writes an Excel 97-2003 workbook (BIFF8 records in an OLE2 compound file) row by row with bounded memory.
/// <para>
/// Cells go, as they arrive, into a buffer that is appended to a temporary spool file (deleted on close) once it passes
/// 64 KB. A sheet's row limit (header + <see cref="MaxDataRowsPerSheet"/> data rows) starts the next sheet, named
/// "<c>{name} 2</c>", "<c>{name} 3</c>", …, each beginning with the header row. Only at
/// <see cref="CompleteAsync"/> are the sheet count and sizes known, which the workbook globals need (BOUNDSHEET8
/// records carry each sheet's absolute stream offset) and so does the compound file's header (the FAT is sized from
/// the stream length): the globals are built then, in memory, and the file goes out front to back — header, globals,
/// the spooled sheets, directory, FAT, DIFAT — without seeking the output.
/// </para>
/// <para>
/// Memory: the record buffer holds at least one row (it grows only for a row longer than 64 KB, at most about
/// 64 KB per text cell) plus one 8-byte offset per sheet; nothing per row is kept. Disk: the spool is about the size
/// of the workbook.
/// </para>
/// <para>
/// Cells are LABEL (text, stored in the cell rather than a shared string table, which would grow with the data),
/// NUMBER and BLANK records, all with the one cell format. No ROW, DBCELL or INDEX records are written: they only
/// speed up random access, readers rebuild rows from the cells (LibreOffice and NPOI checked).
/// </para>
/// </summary>
public sealed class XlsWriter : IAsyncDisposable, IDisposable
{
    /// <summary>Excel's limit on the characters of one cell; longer text is cut to it.</summary>
    public const int MaxTextLength = 32_767;

    /// <summary>A BIFF8 sheet has 65,536 rows; the header row takes one.</summary>
    public const int MaxDataRowsPerSheet = 65_535;

    /// <summary>A BIFF8 sheet has 256 columns.</summary>
    public const int MaxColumns = 256;

    private const int MaxRecordData = 8224; // longer record data continues in CONTINUE records
    private const int FlushThreshold = 64 * 1024;
    private const int OutputChunk = 64 * 1024;
    private const ushort CellXf = 15; // the first 15 XF records are the style XFs Excel requires
    private const int MaxSheetNameLength = 31;

    private const ushort Bof = 0x0809;
    private const ushort Eof = 0x000A;
    private const ushort CodePage = 0x0042;
    private const ushort Window1 = 0x003D;
    private const ushort Font = 0x0031;
    private const ushort Xf = 0x00E0;
    private const ushort Style = 0x0293;
    private const ushort BoundSheet = 0x0085;
    private const ushort Dimensions = 0x0200;
    private const ushort Window2 = 0x023E;
    private const ushort Blank = 0x0201;
    private const ushort Number = 0x0203;
    private const ushort Label = 0x0204;
    private const ushort Continue = 0x003C;

    private static readonly SearchValues<char> ForbiddenInSheetNames = SearchValues.Create("[]:*?/\\");

    private readonly string sheetName;
    private readonly string[] header;
    private readonly int dataRowsPerSheet;
    private readonly SafeFileHandle spool;
    private readonly List<long> sheetStarts = []; // spool offset of each sheet's BOF record
    private readonly byte[] dimensions = new byte[14];
    private byte[] buffer = new byte[2 * FlushThreshold];
    private int length;
    private long spooled;
    private bool inSheet;
    private int row;
    private int column;
    private int sheetColumns;
    private long dimensionsAt;
    private bool completed;

    /// <param name="sheetName">The first sheet's name; later sheets add " 2", " 3", ….</param>
    /// <param name="header">Row 0 of every sheet.</param>
    /// <param name="dataRowsPerSheet">Rows after the header before the next sheet starts (tests use fewer).</param>
    public XlsWriter(string sheetName, IReadOnlyList<string> header, int dataRowsPerSheet = MaxDataRowsPerSheet)
    {
        if (sheetName.Length is 0 or > MaxSheetNameLength - 6 || sheetName.AsSpan().IndexOfAny(ForbiddenInSheetNames) >= 0)
        {
            throw new ArgumentException("a sheet name has 1 to 25 characters (room for a sheet number) and none of []:*?/\\", nameof(sheetName));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(header.Count, MaxColumns);
        ArgumentOutOfRangeException.ThrowIfLessThan(dataRowsPerSheet, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dataRowsPerSheet, MaxDataRowsPerSheet);
        this.sheetName = sheetName;
        this.header = [.. header];
        this.dataRowsPerSheet = dataRowsPerSheet;
        spool = File.OpenHandle(
            Path.Combine(Path.GetTempPath(), $"edge-xls-{Guid.NewGuid():N}.spool"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }

    /// <summary>
    /// A text cell in the next column. Empty (or null) text is written as a blank cell. Text longer than
    /// <see cref="MaxTextLength"/> UTF-16 units is cut to that (one fewer when the cut would split a surrogate pair).
    /// </summary>
    public void AddText(ReadOnlySpan<char> text)
    {
        var col = NextColumn();
        if (text.IsEmpty)
        {
            WriteBlank(col);
        }
        else
        {
            WriteLabel(row, col, text);
        }
    }

    /// <inheritdoc cref="AddText(ReadOnlySpan{char})"/>
    public void AddText(string? text) => AddText(text.AsSpan());

    /// <summary>A number cell in the next column.</summary>
    public void AddNumber(double value)
    {
        var col = NextColumn();
        var record = Reserve(4 + 14);
        WriteRecordHeader(record, Number, 14);
        WriteCell(record[4..], row, col);
        BinaryPrimitives.WriteDoubleLittleEndian(record[10..], value);
    }

    /// <summary>A blank cell in the next column.</summary>
    public void AddEmpty() => WriteBlank(NextColumn());

    /// <summary>Ends the current row (an empty one still takes a row); writes to the spool once enough is buffered.</summary>
    public async ValueTask EndRowAsync(CancellationToken cancellationToken)
    {
        EnsureSheet();
        row++;
        column = 0;
        if (row > dataRowsPerSheet)
        {
            await EndSheetAsync(cancellationToken);
        }

        if (length >= FlushThreshold)
        {
            await FlushAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Finishes the workbook (a row left open is ended; no rows at all still give one sheet with the header) and writes
    /// the whole .xls file to <paramref name="output"/>.
    /// </summary>
    public async Task CompleteAsync(Stream output, CancellationToken cancellationToken)
    {
        if (completed)
        {
            throw new InvalidOperationException("the workbook was already written");
        }

        completed = true;
        if (column > 0)
        {
            await EndRowAsync(cancellationToken);
        }

        if (sheetStarts.Count == 0)
        {
            EnsureSheet();
        }

        if (inSheet)
        {
            await EndSheetAsync(cancellationToken);
        }

        await FlushAsync(cancellationToken);

        // The globals go into the now empty record buffer; sheets are at their spool offset plus the globals' length.
        var boundSheets = WriteGlobals();
        var globalsLength = length;
        for (var i = 0; i < sheetStarts.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(boundSheets[i]), checked((uint)(globalsLength + sheetStarts[i])));
        }

        var content = globalsLength + spooled;
        if (content > CompoundFile.MaxStreamLength)
        {
            throw new InvalidOperationException("the workbook is over the 2 GB an Excel 97-2003 file can hold");
        }

        // Readers take the stream's end as the last EOF record and ignore the zeros after it; 4096 bytes keep the stream
        // in regular sectors, as Excel itself writes small workbooks.
        var file = CompoundFile.ForStream(Math.Max(content, CompoundFile.MinStreamLength));
        var chunk = ArrayPool<byte>.Shared.Rent(OutputChunk);
        try
        {
            var used = 0;
            file.WriteHeader(chunk);
            used += CompoundFile.SectorSize;
            for (var copied = 0; copied < globalsLength;)
            {
                if (used == OutputChunk)
                {
                    await output.WriteAsync(chunk.AsMemory(0, used), cancellationToken);
                    used = 0;
                }

                var n = Math.Min(globalsLength - copied, OutputChunk - used);
                buffer.AsSpan(copied, n).CopyTo(chunk.AsSpan(used));
                copied += n;
                used += n;
            }

            for (long read = 0; read < spooled;)
            {
                if (used == OutputChunk)
                {
                    await output.WriteAsync(chunk.AsMemory(0, used), cancellationToken);
                    used = 0;
                }

                var n = await RandomAccess.ReadAsync(spool, chunk.AsMemory(used, (int)Math.Min(OutputChunk - used, spooled - read)), read, cancellationToken);
                if (n == 0)
                {
                    throw new IOException("the xls spool file ended early");
                }

                read += n;
                used += n;
            }

            for (var zeros = (file.StreamLength - content) + file.StreamPadding; zeros > 0;)
            {
                if (used == OutputChunk)
                {
                    await output.WriteAsync(chunk.AsMemory(0, used), cancellationToken);
                    used = 0;
                }

                var n = (int)Math.Min(zeros, OutputChunk - used);
                chunk.AsSpan(used, n).Clear();
                zeros -= n;
                used += n;
            }

            for (var i = 0; i < file.TrailerSectors; i++)
            {
                if (OutputChunk - used < CompoundFile.SectorSize)
                {
                    await output.WriteAsync(chunk.AsMemory(0, used), cancellationToken);
                    used = 0;
                }

                file.WriteTrailerSector(i, "Workbook", chunk.AsSpan(used, CompoundFile.SectorSize));
                used += CompoundFile.SectorSize;
            }

            await output.WriteAsync(chunk.AsMemory(0, used), cancellationToken);
            await output.FlushAsync(cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public void Dispose() => spool.Dispose();

    public ValueTask DisposeAsync()
    {
        spool.Dispose();
        return ValueTask.CompletedTask;
    }

    private int NextColumn()
    {
        EnsureSheet();
        if (column == MaxColumns)
        {
            throw new InvalidOperationException("a BIFF8 row has at most 256 cells");
        }

        sheetColumns = Math.Max(sheetColumns, column + 1);
        return column++;
    }

    private void EnsureSheet()
    {
        if (inSheet)
        {
            return;
        }

        inSheet = true;
        sheetStarts.Add(spooled + length);
        WriteBof(0x0010);
        dimensionsAt = spooled + length + 4;
        var record = Reserve(4 + 14);
        WriteRecordHeader(record, Dimensions, 14); // filled in when the sheet ends
        record[4..].Clear();
        row = 0;
        column = 0;
        sheetColumns = header.Length;
        for (var i = 0; i < header.Length; i++)
        {
            if (header[i].Length == 0)
            {
                WriteBlank(i);
            }
            else
            {
                WriteLabel(0, i, header[i]);
            }
        }

        row = 1;
    }

    private async ValueTask EndSheetAsync(CancellationToken cancellationToken)
    {
        var record = Reserve(4 + 18);
        WriteRecordHeader(record, Window2, 18);
        record = record[4..];
        record.Clear();
        // Grid lines, headings, zeros, automatic grid colour, outline symbols; the first sheet is also selected and shown.
        BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)(sheetStarts.Count == 1 ? 0x06B6 : 0x00B6));
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], 0x0040); // grid line colour: the default
        Reserve(4).Clear();
        WriteRecordHeader(buffer.AsSpan(length - 4), Eof, 0);

        var dims = dimensions.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(dims, 0); // first row
        BinaryPrimitives.WriteUInt32LittleEndian(dims[4..], (uint)row); // last row + 1
        BinaryPrimitives.WriteUInt16LittleEndian(dims[8..], 0); // first column
        BinaryPrimitives.WriteUInt16LittleEndian(dims[10..], (ushort)sheetColumns); // last column + 1
        BinaryPrimitives.WriteUInt16LittleEndian(dims[12..], 0);
        if (dimensionsAt >= spooled)
        {
            dims.CopyTo(buffer.AsSpan((int)(dimensionsAt - spooled)));
        }
        else
        {
            await RandomAccess.WriteAsync(spool, dimensions, dimensionsAt, cancellationToken);
        }

        inSheet = false;
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return;
        }

        await RandomAccess.WriteAsync(spool, buffer.AsMemory(0, length), spooled, cancellationToken);
        spooled += length;
        length = 0;
    }

    private void WriteBlank(int col)
    {
        var record = Reserve(4 + 6);
        WriteRecordHeader(record, Blank, 6);
        WriteCell(record[4..], row, col);
    }

    /// <summary>
    /// A LABEL record: the cell, then an XLUnicodeString (16-bit character count, option flags, characters) stored as
    /// 8-bit "compressed" characters when every character is below U+0100, else as UTF-16LE. Past 8224 bytes the
    /// characters go on in CONTINUE records, each starting again with the option flags byte (the BIFF8 rule for strings
    /// split across records). A CONTINUE record never starts with the low half of a surrogate pair.
    /// </summary>
    private void WriteLabel(int rowIndex, int col, ReadOnlySpan<char> text)
    {
        if (text.Length > MaxTextLength)
        {
            text = text[..(char.IsHighSurrogate(text[MaxTextLength - 1]) ? MaxTextLength - 1 : MaxTextLength)];
        }

        var wide = NeedsTwoBytes(text);
        var flags = (byte)(wide ? 1 : 0);
        var charBytes = wide ? text.Length * 2 : text.Length;
        EnsureCapacity(4 + 9 + charBytes + (((charBytes / 4096) + 1) * 5)); // a CONTINUE header per full record, generously

        var start = length;
        var data = buffer.AsSpan(start + 4);
        WriteCell(data, rowIndex, col);
        BinaryPrimitives.WriteUInt16LittleEndian(data[6..], (ushort)text.Length);
        data[8] = flags;
        var used = 9;
        while (true)
        {
            var room = MaxRecordData - used;
            var take = wide ? room / 2 : room;
            if (take >= text.Length)
            {
                take = text.Length;
            }
            else if (wide && char.IsHighSurrogate(text[take - 1]))
            {
                take--;
            }

            var chars = text[..take];
            var destination = data[used..];
            if (wide)
            {
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.AsBytes(chars).CopyTo(destination);
                }
                else
                {
                    BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<char, ushort>(chars), MemoryMarshal.Cast<byte, ushort>(destination));
                }

                used += take * 2;
            }
            else
            {
                Encoding.Latin1.GetBytes(chars, destination);
                used += take;
            }

            WriteRecordHeader(buffer.AsSpan(start), start == length ? Label : Continue, used);
            start += 4 + used;
            text = text[take..];
            if (text.IsEmpty)
            {
                break;
            }

            data = buffer.AsSpan(start + 4);
            data[0] = flags;
            used = 1;
        }

        length = start;
    }

    /// <summary>Workbook globals, into the record buffer; returns where each BOUNDSHEET8's stream offset goes.</summary>
    private int[] WriteGlobals()
    {
        WriteBof(0x0005);
        var record = Reserve(4 + 2);
        WriteRecordHeader(record, CodePage, 2);
        BinaryPrimitives.WriteUInt16LittleEndian(record[4..], 1200); // UTF-16 strings

        record = Reserve(4 + 18);
        WriteRecordHeader(record, Window1, 18);
        record = record[4..];
        BinaryPrimitives.WriteUInt16LittleEndian(record, 0x0168); // window position and size, in twips
        BinaryPrimitives.WriteUInt16LittleEndian(record[2..], 0x010E);
        BinaryPrimitives.WriteUInt16LittleEndian(record[4..], 0x3A5C);
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], 0x23BE);
        BinaryPrimitives.WriteUInt16LittleEndian(record[8..], 0x0038); // scroll bars and sheet tabs shown
        BinaryPrimitives.WriteUInt16LittleEndian(record[10..], 0); // active sheet
        BinaryPrimitives.WriteUInt16LittleEndian(record[12..], 0); // first visible tab
        BinaryPrimitives.WriteUInt16LittleEndian(record[14..], 1); // selected sheets
        BinaryPrimitives.WriteUInt16LittleEndian(record[16..], 0x0258); // tab bar width ratio

        // Excel expects at least four FONT records; font index 4 does not exist in BIFF, so a fifth record is index 5.
        for (var i = 0; i < 5; i++)
        {
            record = Reserve(4 + 21);
            WriteRecordHeader(record, Font, 21);
            record = record[4..];
            record.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(record, 200); // 10 pt, in twentieths of a point
            BinaryPrimitives.WriteUInt16LittleEndian(record[4..], 0x7FFF); // automatic colour
            BinaryPrimitives.WriteUInt16LittleEndian(record[6..], 400); // normal weight
            record[14] = 5;
            record[15] = 0;
            "Arial"u8.CopyTo(record[16..]);
        }

        // The 15 style XFs (0 is Normal; 1-14 are the outline styles Excel requires) and XF 15, the one cell format.
        for (var i = 0; i <= CellXf; i++)
        {
            record = Reserve(4 + 20);
            WriteRecordHeader(record, Xf, 20);
            record = record[4..];
            record.Clear();
            var font = i is 1 or 2 ? 1 : i is 3 or 4 ? 2 : 0;
            BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)font);
            BinaryPrimitives.WriteUInt16LittleEndian(record[4..], (ushort)(i == CellXf ? 0x0001 : 0xFFF5)); // locked; style XF with no parent / cell XF of style 0
            record[6] = 0x20; // bottom aligned
            record[9] = (byte)(i is 0 or CellXf ? 0x00 : 0xF4); // which attributes the outline styles leave to Normal
            BinaryPrimitives.WriteUInt16LittleEndian(record[18..], 0x20C0); // default pattern colours
        }

        record = Reserve(4 + 4);
        WriteRecordHeader(record, Style, 4);
        BinaryPrimitives.WriteUInt16LittleEndian(record[4..], 0x8000); // built-in style on XF 0
        record[6] = 0; // Normal
        record[7] = 0xFF;

        var offsets = new int[sheetStarts.Count];
        Span<char> name = stackalloc char[MaxSheetNameLength];
        for (var i = 0; i < sheetStarts.Count; i++)
        {
            var nameLength = SheetName(i, name);
            var sheet = name[..nameLength];
            var wide = NeedsTwoBytes(sheet);
            var dataLength = 8 + (wide ? nameLength * 2 : nameLength);
            record = Reserve(4 + dataLength);
            WriteRecordHeader(record, BoundSheet, dataLength);
            offsets[i] = length - dataLength;
            record = record[4..];
            record[4] = 0; // visible
            record[5] = 0; // worksheet
            record[6] = (byte)nameLength;
            record[7] = (byte)(wide ? 1 : 0);
            for (var c = 0; c < nameLength; c++)
            {
                if (wide)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(record[(8 + (c * 2))..], sheet[c]);
                }
                else
                {
                    record[8 + c] = (byte)sheet[c];
                }
            }
        }

        Reserve(4).Clear();
        WriteRecordHeader(buffer.AsSpan(length - 4), Eof, 0);
        return offsets;
    }

    private int SheetName(int index, Span<char> destination)
    {
        sheetName.CopyTo(destination);
        if (index == 0)
        {
            return sheetName.Length;
        }

        destination[sheetName.Length] = ' ';
        if (!(index + 1).TryFormat(destination[(sheetName.Length + 1)..], out var digits, provider: System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("too many sheets for a 31-character sheet name");
        }

        return sheetName.Length + 1 + digits;
    }

    private void WriteBof(ushort type)
    {
        var record = Reserve(4 + 16);
        WriteRecordHeader(record, Bof, 16);
        record = record[4..];
        BinaryPrimitives.WriteUInt16LittleEndian(record, 0x0600); // BIFF8
        BinaryPrimitives.WriteUInt16LittleEndian(record[2..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(record[4..], 0x10D3); // build
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], 0x07CC); // build year
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], 0x0000_0041); // file history flags
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], 0x0000_0006); // lowest BIFF version to read it: 8
    }

    /// <summary>
    /// Whether any character is U+0100 or above, so the string cannot be stored one byte per character. Through ushort:
    /// the char overload of this search allocates on every call.
    /// </summary>
    private static bool NeedsTwoBytes(ReadOnlySpan<char> text) => MemoryMarshal.Cast<char, ushort>(text).ContainsAnyInRange((ushort)0x0100, ushort.MaxValue);

    private static void WriteRecordHeader(Span<byte> destination, ushort type, int dataLength)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, type);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], (ushort)dataLength);
    }

    private static void WriteCell(Span<byte> destination, int rowIndex, int col)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)rowIndex);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], (ushort)col);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], CellXf);
    }

    private Span<byte> Reserve(int count)
    {
        EnsureCapacity(count);
        var span = buffer.AsSpan(length, count);
        length += count;
        return span;
    }

    private void EnsureCapacity(int count)
    {
        if (length + count > buffer.Length)
        {
            // Only a row of very long texts gets here; the buffer keeps that size until the writer is done.
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + count));
        }
    }
}
