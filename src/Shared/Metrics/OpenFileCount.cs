using System.Runtime.InteropServices;

namespace Calltracking.Shared.Metrics;

/// <summary>
/// Counts the entries of <c>/proc/self/fd</c> with libc's <c>opendir</c>/<c>readdir</c>. .NET's directory enumeration
/// stats every entry (each is a symlink to a socket, pipe or file), which measured ~600 µs per scrape against ~10 µs
/// for a plain readdir loop (<c>ProcessMetricsBenchmarks</c>).
/// </summary>
internal static partial class OpenFileCount
{
    private const string Directory = "/proc/self/fd";

    /// <summary>Open descriptors, or -1 when <c>/proc</c> cannot be read.</summary>
    public static long Read()
    {
        var dir = OpenDir(Directory);
        if (dir == IntPtr.Zero)
        {
            return -1;
        }

        long entries = 0;
        try
        {
            while (ReadDir(dir) != IntPtr.Zero)
            {
                entries++;
            }
        }
        finally
        {
            _ = CloseDir(dir);
        }

        // "." and "..", and the descriptor opendir itself holds while counting.
        return Math.Max(0, entries - 3);
    }

    [DllImport("libc", EntryPoint = "opendir", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr OpenDir(string path);

    [DllImport("libc", EntryPoint = "readdir")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr ReadDir(IntPtr dir);

    [DllImport("libc", EntryPoint = "closedir")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int CloseDir(IntPtr dir);
}
