using System.Diagnostics;

namespace Calltracking.Shared.Tests.Metrics;

/// <summary>Runs Debian's <c>promtool</c> (package <c>prometheus</c>); absent, the test fails saying how to install it.</summary>
internal static class Promtool
{
    public static string Path()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator).Append("/usr/bin"))
        {
            var candidate = System.IO.Path.Combine(dir, "promtool");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("promtool was not found. Install it with: sudo apt-get install -y prometheus");
    }

    /// <summary>Runs promtool with <paramref name="stdin"/>; returns the exit code and everything it printed.</summary>
    public static (int ExitCode, string Output) Run(string stdin, params string[] arguments)
    {
        var psi = new ProcessStartInfo(Path())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start promtool");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("promtool did not finish in 60 s");
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }
}
