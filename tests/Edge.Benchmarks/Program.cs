using System.Globalization;
using BenchmarkDotNet.Running;
using Calltracking.Edge.Benchmarks.Calls;

namespace Calltracking.Edge.Benchmarks;

internal static class Program
{
    private static async Task Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "call-list")
        {
            await CallListBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000);
            return;
        }

        if (args.Length > 0 && args[0] == "call-batches")
        {
            await CallBatchBenchmark.RunAsync(
                args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 46,
                args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 204);
            return;
        }

        if (args.Length > 2 && args[0] == "relay-ng")
        {
            await Media.NgRelayShim.RunAsync(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "lease")
        {
            await Leases.LeaseBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10);
            return;
        }

        if (args.Length > 0 && args[0] == "encode")
        {
            Media.EncodeBenchmark.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 600);
            return;
        }

        if (args.Length > 0 && args[0] == "xls")
        {
            await XlsExportBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000);
            return;
        }

        if (args.Length > 0 && args[0] == "transactions")
        {
            await Sip.TransactionLoadBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000);
            return;
        }

        if (args.Length > 0 && args[0] == "gc-survivors")
        {
            Runtime.GcSurvivorsBenchmark.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10);
            return;
        }

        if (args.Length > 2 && args[0] == "gc-survivors-case")
        {
            Runtime.GcSurvivorsBenchmark.RunCase(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
            return;
        }

        if (args.Length > 1 && args[0] == "heap")
        {
            Environment.ExitCode = Runtime.HeapWalk.Run(int.Parse(args[1], CultureInfo.InvariantCulture), args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 40);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
