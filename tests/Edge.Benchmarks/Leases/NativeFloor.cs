using System.Globalization;
using System.Text.RegularExpressions;
using Calltracking.Edge.Testing;

namespace Calltracking.Edge.Benchmarks.Leases;

/// <summary>
/// <c>paced-eval.c</c>, built with the machine's C compiler: the same empty script at the same pace from one blocking
/// socket, with no runtime of ours in the way. What the machine itself gives a paced round trip, so the .NET numbers
/// have a floor measured in the same run.
/// </summary>
internal sealed partial class NativeFloor
{
    private readonly string binary;

    private NativeFloor(string binary) => this.binary = binary;

    public sealed record Result(string Line, double P99);

    /// <summary>Compiles the program, or returns null (saying why) when there is no C compiler.</summary>
    public static NativeFloor? TryBuild()
    {
        string compiler;
        try
        {
            compiler = ExternalTool.Require("cc", "gcc", "/usr/bin/cc");
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        var binary = Path.Combine(Directory.CreateTempSubdirectory("edge-paced-eval").FullName, "paced-eval");
        ExternalTool.Run(compiler, ["-O2", "-o", binary, Path.Combine(AppContext.BaseDirectory, "Leases", "paced-eval.c")], TimeSpan.FromMinutes(1));
        return new NativeFloor(binary);
    }

    public Result Run(string endpoint, int perSecond, int seconds)
    {
        var (host, port) = (endpoint.Split(':')[0], endpoint.Split(':')[1]);
        var line = ExternalTool.Run(binary, [host, port, perSecond.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(seconds + 30)).Trim();
        var p99 = P99().Match(line);
        return new Result(line, p99.Success ? double.Parse(p99.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN);
    }

    [GeneratedRegex(@"p99 ([0-9.]+) ms")]
    private static partial Regex P99();
}
