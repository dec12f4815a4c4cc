using Calltracking.Shared.Metrics;

namespace Calltracking.Shared.Tests.Metrics;

public sealed class OpenFileCountTests
{
    [Fact]
    public void Counts_the_descriptors_listed_in_proc()
    {
        Assert.True(Directory.Exists("/proc/self/fd"), "needs Linux /proc");
        var held = Enumerable.Range(0, 30).Select(static _ => File.OpenRead("/proc/self/stat")).ToArray();
        try
        {
            var byDotnet = Directory.GetFileSystemEntries("/proc/self/fd").Length - 1;
            var byReaddir = OpenFileCount.Read();

            // Other test classes run in parallel and open files too; the 30 held here must show either way.
            Assert.InRange(byReaddir, Math.Max(30, byDotnet - 20), byDotnet + 20);
        }
        finally
        {
            Array.ForEach(held, static s => s.Dispose());
        }
    }
}
