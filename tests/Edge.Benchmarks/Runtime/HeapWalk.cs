using Microsoft.Diagnostics.Runtime;

namespace Calltracking.Edge.Benchmarks.Runtime;

/// <summary>
/// What a running edge keeps alive, by type, and which fields hold its strings: attaches to the process (suspending it
/// for the walk; run it as a user allowed to ptrace the edge), marks what is reachable from the roots and sums the
/// reachable objects' sizes. <c>dotnet-gcdump</c> counts objects but does not say who holds a string; this does, so
/// the per-call share of each field can be read off at a known number of calls in progress. A second table has only
/// the objects still in gen0 or gen1: what the young collections would copy, as opposed to what lives in gen2 or on the
/// pinned and large heaps.
/// </summary>
internal static class HeapWalk
{
    public static int Run(int pid, int top, string? holdersOf)
    {
        using var target = DataTarget.AttachToProcess(pid, suspend: true);
        var clr = target.ClrVersions[0];
        // The runtime's own DAC beside it (ClrMD looks for a signed copy otherwise, which Linux builds do not have).
        var dac = Path.Combine(Path.GetDirectoryName(clr.ModuleInfo.FileName) ?? string.Empty, "libmscordaccore.so");
        using var runtime = File.Exists(dac) ? clr.CreateRuntime(dac, ignoreMismatch: true) : clr.CreateRuntime();
        var heap = runtime.Heap;

        var holder = new Dictionary<ulong, string>();
        var pending = new Stack<ulong>();
        foreach (var root in heap.EnumerateRoots())
        {
            if (root.Object.Address != 0 && holder.TryAdd(root.Object.Address, "(root)"))
            {
                pending.Push(root.Object.Address);
            }
        }

        while (pending.Count > 0)
        {
            var parent = heap.GetObject(pending.Pop());
            if (!parent.IsValid)
            {
                continue;
            }

            foreach (var child in parent.EnumerateReferencesWithFields(carefully: true, considerDependantHandles: false))
            {
                if (child.Object.Address != 0 && holder.TryAdd(child.Object.Address, $"{parent.Type?.Name}.{child.Field?.Name ?? "[]"}"))
                {
                    pending.Push(child.Object.Address);
                }
            }
        }

        var byType = new Dictionary<string, (long Count, long Bytes)>();
        // What the next young collections would copy: the reachable objects still in gen0 or gen1.
        var youngByType = new Dictionary<string, (long Count, long Bytes)>();
        long young = 0;
        var stringsByHolder = new Dictionary<string, (long Count, long Bytes, string Example)>();
        long total = 0;
        foreach (var (address, heldBy) in holder)
        {
            var value = heap.GetObject(address);
            if (!value.IsValid)
            {
                continue;
            }

            var name = value.Type?.Name ?? "?";
            var size = (long)value.Size;
            total += size;
            byType[name] = byType.TryGetValue(name, out var t) ? (t.Count + 1, t.Bytes + size) : (1, size);
            if (heap.GetSegmentByAddress(address)?.GetGeneration(address) is Generation.Generation0 or Generation.Generation1)
            {
                young += size;
                youngByType[name] = youngByType.TryGetValue(name, out var y) ? (y.Count + 1, y.Bytes + size) : (1, size);
            }

            if (value.Type?.IsString == true || name == "System.Byte[]" || name == holdersOf)
            {
                stringsByHolder[heldBy] = stringsByHolder.TryGetValue(heldBy, out var s)
                    ? (s.Count + 1, s.Bytes + size, s.Example)
                    : (1, size, value.Type?.IsString == true ? value.AsString(60) ?? string.Empty : $"{name}, {size} bytes");
            }
        }

        Console.WriteLine($"reachable: {holder.Count} objects, {total} bytes");
        Console.WriteLine("bytes\tcount\ttype");
        foreach (var (name, (count, bytes)) in byType.OrderByDescending(e => e.Value.Bytes).Take(top))
        {
            Console.WriteLine($"{bytes}\t{count}\t{name}");
        }

        Console.WriteLine($"of which young (gen0 and gen1, what young collections copy): {young} bytes");
        Console.WriteLine("bytes\tcount\ttype");
        foreach (var (name, (count, bytes)) in youngByType.OrderByDescending(e => e.Value.Bytes).Take(top))
        {
            Console.WriteLine($"{bytes}\t{count}\t{name}");
        }

        Console.WriteLine($"bytes\tcount\tstrings, byte arrays{(holdersOf is null ? string.Empty : " and " + holdersOf)} held by\texample");
        foreach (var (heldBy, (count, bytes, example)) in stringsByHolder.OrderByDescending(e => e.Value.Bytes).Take(top))
        {
            Console.WriteLine($"{bytes}\t{count}\t{heldBy}\t{example}");
        }

        if (holdersOf is not null)
        {
            Console.WriteLine($"bytes\tcount\t{holdersOf} held by");
            foreach (var (heldBy, (count, bytes, _)) in stringsByHolder.Where(e => e.Value.Example.StartsWith(holdersOf + ",", StringComparison.Ordinal)).OrderByDescending(e => e.Value.Bytes))
            {
                Console.WriteLine($"{bytes}\t{count}\t{heldBy}");
            }
        }

        return 0;
    }
}
