using System.Diagnostics;

namespace Calltracking.Edge.Testing;

/// <summary>Runs the Debian binaries the real-server tests need, failing loudly when one is missing.</summary>
public static class ExternalTool
{
    /// <summary>Finds <paramref name="name"/> in the candidate paths or on PATH; throws naming the apt package when absent.</summary>
    public static string Require(string name, string aptPackage, params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new InvalidOperationException(
            $"'{name}' was not found. Install it with: sudo apt-get install -y {aptPackage} (the integration tests need a real {aptPackage}; they are never skipped).");
    }

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs a program to completion and returns its output; throws with the output when it fails.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? runAsUser = null)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (runAsUser is not null)
        {
            psi.FileName = Require("runuser", "util-linux", "/usr/sbin/runuser", "/sbin/runuser");
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add(runAsUser);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(fileName);
        }
        else
        {
            psi.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', psi.ArgumentList)} did not finish in {timeout}");
        }

        var output = stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', psi.ArgumentList)} exited with {process.ExitCode}: {output}");
        }

        return output;
    }
}
