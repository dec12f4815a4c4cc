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

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
