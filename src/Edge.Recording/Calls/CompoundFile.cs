using System.Buffers.Binary;

namespace Calltracking.Edge.Recording.Calls;

/// <summary>
/// The layout of an OLE2 compound file (MS-CFB version 3, 512-byte sectors) holding one stream, as Excel 97-2003
/// expects its <c>Workbook</c> stream to be stored. Everything is computed from the stream's length alone, so the file
/// can be written front to back without seeking: header, the stream's sectors, then the directory, FAT and DIFAT
/// sectors. The stream must be at least <see cref="MinStreamLength"/> bytes, which keeps it out of the mini stream
/// (no mini FAT is written).
/// </summary>
internal sealed class CompoundFile
{
    public const int SectorSize = 512;

    /// <summary>Streams shorter than this live in the mini stream; callers pad up to it instead.</summary>
    public const int MinStreamLength = 4096;

    /// <summary>Version 3 files keep stream sizes below 2 GB (the high half of the size field is not read).</summary>
    public const long MaxStreamLength = int.MaxValue;

    private const int HeaderDifatEntries = 109;
    private const int EntriesPerSector = SectorSize / 4;
    private const int DifatEntriesPerSector = EntriesPerSector - 1; // the last entry chains to the next DIFAT sector
    private const uint FreeSector = 0xFFFF_FFFF;
    private const uint EndOfChain = 0xFFFF_FFFE;
    private const uint FatSector = 0xFFFF_FFFD;
    private const uint DifatSector = 0xFFFF_FFFC;
    private const uint NoStream = 0xFFFF_FFFF;
    private const int DirectoryEntrySize = 128;

    private CompoundFile(long streamLength, int streamSectors, int fatSectors, int difatSectors)
    {
        StreamLength = streamLength;
        StreamSectors = streamSectors;
        FatSectors = fatSectors;
        DifatSectors = difatSectors;
    }

    public long StreamLength { get; }

    /// <summary>Sectors 0 … StreamSectors-1 hold the stream; the directory follows, then the FAT, then the DIFAT.</summary>
    public int StreamSectors { get; }

    public int FatSectors { get; }

    public int DifatSectors { get; }

    private int DirectorySector => StreamSectors;

    private int FirstFatSector => StreamSectors + 1;

    private int FirstDifatSector => FirstFatSector + FatSectors;

    private int TotalSectors => FirstDifatSector + DifatSectors;

    /// <summary>The whole file: header sector plus every sector.</summary>
    public long FileLength => (1L + TotalSectors) * SectorSize;

    /// <summary>Bytes of zeros after the stream up to the end of its last sector.</summary>
    public int StreamPadding => (int)(((long)StreamSectors * SectorSize) - StreamLength);

    public static CompoundFile ForStream(long streamLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(streamLength, MinStreamLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(streamLength, MaxStreamLength);
        var streamSectors = (int)((streamLength + SectorSize - 1) / SectorSize);

        // The FAT has to describe its own sectors and the DIFAT sectors too, so grow both until they stop changing.
        int fat = 0, difat = 0;
        while (true)
        {
            var total = streamSectors + 1 + fat + difat;
            var needFat = (total + EntriesPerSector - 1) / EntriesPerSector;
            var needDifat = needFat <= HeaderDifatEntries ? 0 : (needFat - HeaderDifatEntries + DifatEntriesPerSector - 1) / DifatEntriesPerSector;
            if (needFat == fat && needDifat == difat)
            {
                return new CompoundFile(streamLength, streamSectors, fat, difat);
            }

            fat = needFat;
            difat = needDifat;
        }
    }

    /// <summary>The 512-byte header: signature, version 3, sector shifts, FAT count and the first 109 DIFAT entries.</summary>
    public void WriteHeader(Span<byte> header)
    {
        header = header[..SectorSize];
        header.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(header, 0xD0CF_11E0_A1B1_1AE1);
        BinaryPrimitives.WriteUInt16LittleEndian(header[24..], 0x003E); // minor version
        BinaryPrimitives.WriteUInt16LittleEndian(header[26..], 0x0003); // major version 3: 512-byte sectors
        BinaryPrimitives.WriteUInt16LittleEndian(header[28..], 0xFFFE); // byte order: little-endian
        BinaryPrimitives.WriteUInt16LittleEndian(header[30..], 9); // sector size 2^9
        BinaryPrimitives.WriteUInt16LittleEndian(header[32..], 6); // mini sector size 2^6
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], 0); // directory sector count: always 0 in version 3
        BinaryPrimitives.WriteInt32LittleEndian(header[44..], FatSectors);
        BinaryPrimitives.WriteInt32LittleEndian(header[48..], DirectorySector);
        BinaryPrimitives.WriteUInt32LittleEndian(header[56..], MinStreamLength); // mini stream cutoff
        BinaryPrimitives.WriteUInt32LittleEndian(header[60..], EndOfChain); // no mini FAT
        BinaryPrimitives.WriteUInt32LittleEndian(header[64..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[68..], DifatSectors == 0 ? EndOfChain : (uint)FirstDifatSector);
        BinaryPrimitives.WriteInt32LittleEndian(header[72..], DifatSectors);
        for (var i = 0; i < HeaderDifatEntries; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header[(76 + (i * 4))..], i < FatSectors ? (uint)(FirstFatSector + i) : FreeSector);
        }
    }

    /// <summary>Sectors written after the stream: directory, FAT and DIFAT, in file order.</summary>
    public int TrailerSectors => 1 + FatSectors + DifatSectors;

    /// <summary>
    /// Fills the <paramref name="index"/>-th sector after the stream (see <see cref="TrailerSectors"/>). One sector at
    /// a time, so a large file's FAT is never held whole.
    /// </summary>
    public void WriteTrailerSector(int index, string streamName, Span<byte> sector)
    {
        sector = sector[..SectorSize];
        if (index == 0)
        {
            WriteDirectory(streamName, sector);
        }
        else if (index <= FatSectors)
        {
            WriteFat(index - 1, sector);
        }
        else
        {
            WriteDifat(index - 1 - FatSectors, sector);
        }
    }

    private void WriteDirectory(string streamName, Span<byte> sector)
    {
        sector.Clear();
        // Entry 0, the root storage: its only child is the stream; no mini stream, so no start sector.
        WriteEntry(sector[..DirectoryEntrySize], "Root Entry", type: 5, child: 1, start: EndOfChain, size: 0);
        WriteEntry(sector.Slice(DirectoryEntrySize, DirectoryEntrySize), streamName, type: 2, child: NoStream, start: 0, size: StreamLength);
        for (var i = 2; i < SectorSize / DirectoryEntrySize; i++)
        {
            // Unused entries are zeros apart from their sibling and child ids.
            var unused = sector.Slice(i * DirectoryEntrySize, DirectoryEntrySize);
            BinaryPrimitives.WriteUInt32LittleEndian(unused[68..], NoStream);
            BinaryPrimitives.WriteUInt32LittleEndian(unused[72..], NoStream);
            BinaryPrimitives.WriteUInt32LittleEndian(unused[76..], NoStream);
        }
    }

    private static void WriteEntry(Span<byte> entry, string name, byte type, uint child, uint start, long size)
    {
        if (name.Length > 31)
        {
            throw new ArgumentException("a compound file entry name has at most 31 characters", nameof(name));
        }

        for (var i = 0; i < name.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(entry[(i * 2)..], name[i]);
        }

        BinaryPrimitives.WriteUInt16LittleEndian(entry[64..], (ushort)((name.Length + 1) * 2)); // with the terminating NUL
        entry[66] = type;
        entry[67] = 1; // black: a single-node red-black tree
        BinaryPrimitives.WriteUInt32LittleEndian(entry[68..], NoStream);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[72..], NoStream);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[76..], child);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[116..], start);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[120..], (ulong)size);
    }

    private void WriteFat(int fatIndex, Span<byte> sector)
    {
        var first = fatIndex * EntriesPerSector;
        for (var i = 0; i < EntriesPerSector; i++)
        {
            var s = first + i;
            uint next;
            if (s < StreamSectors - 1)
            {
                next = (uint)(s + 1);
            }
            else if (s == StreamSectors - 1 || s == DirectorySector)
            {
                next = EndOfChain;
            }
            else if (s < FirstDifatSector)
            {
                next = FatSector;
            }
            else if (s < TotalSectors)
            {
                next = DifatSector;
            }
            else
            {
                next = FreeSector;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(sector[(i * 4)..], next);
        }
    }

    private void WriteDifat(int difatIndex, Span<byte> sector)
    {
        // FAT sectors beyond the header's 109, 127 per DIFAT sector, each DIFAT sector ending with the next one's id.
        var firstFat = HeaderDifatEntries + (difatIndex * DifatEntriesPerSector);
        for (var i = 0; i < DifatEntriesPerSector; i++)
        {
            var fat = firstFat + i;
            BinaryPrimitives.WriteUInt32LittleEndian(sector[(i * 4)..], fat < FatSectors ? (uint)(FirstFatSector + fat) : FreeSector);
        }

        var last = difatIndex == DifatSectors - 1;
        BinaryPrimitives.WriteUInt32LittleEndian(sector[(DifatEntriesPerSector * 4)..], last ? EndOfChain : (uint)(FirstDifatSector + difatIndex + 1));
    }
}
