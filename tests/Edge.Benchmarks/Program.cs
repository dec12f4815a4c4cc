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
            await CallListBenchmark.RunAsync(IntArg(args, 1, 1_000_000));
            return;
        }

        if (args.Length > 0 && args[0] == "call-batches")
        {
            await CallBatchBenchmark.RunAsync(
                IntArg(args, 1, 40),
                IntArg(args, 2, 46),
                IntArg(args, 3, 204));
            return;
        }

        if (args.Length > 2 && args[0] == "relay-ng")
        {
            await Media.NgRelayShim.RunAsync(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "lease")
        {
            await Leases.LeaseBenchmark.RunAsync(IntArg(args, 1, 10));
            return;
        }

        if (args.Length > 0 && args[0] == "encode")
        {
            Media.EncodeBenchmark.Run(IntArg(args, 1, 600));
            return;
        }

        if (args.Length > 0 && args[0] == "xls")
        {
            await XlsExportBenchmark.RunAsync(IntArg(args, 1, 200_000));
            return;
        }

        if (args.Length > 0 && args[0] == "transactions")
        {
            await Sip.TransactionLoadBenchmark.RunAsync(IntArg(args, 1, 100_000));
            return;
        }

        if (args.Length > 0 && args[0] == "gc-survivors")
        {
            Runtime.GcSurvivorsBenchmark.Run(IntArg(args, 1, 10));
            return;
        }

        if (args.Length > 2 && args[0] == "gc-survivors-case")
        {
            Runtime.GcSurvivorsBenchmark.RunCase(IntArg(args, 1), IntArg(args, 2));
            return;
        }

        if (args.Length > 1 && args[0] == "heap")
        {
            Environment.ExitCode = Runtime.HeapWalk.Run(IntArg(args, 1), IntArg(args, 2, 40), args.Length > 3 ? args[3] : null);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    /// <summary>The command's whole-number argument at <paramref name="index"/>, or <paramref name="fallback"/> when it is not given (none: required).</summary>
    private static int IntArg(string[] args, int index, int? fallback = null) =>
        args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback ?? throw new ArgumentException($"argument {index} is required");
}
