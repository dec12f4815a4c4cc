using System.Diagnostics;
using System.Text;

namespace Calltracking.Edge.Testing;

/// <summary>
/// The edge as its own process (the <c>Calltracking.Edge.dll</c> next to the tests), configured by environment
/// variables as in production, so a test can kill it with SIGKILL and start it again.
/// </summary>
public sealed class EdgeProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private EdgeProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>The names of the process's threads, from <c>/proc</c> (Linux).</summary>
    public IReadOnlyList<string> ThreadNames =>
        Directory.EnumerateDirectories($"/proc/{process.Id}/task")
            .Select(task => { try { return File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'); } catch (IOException) { return null; } })
            .OfType<string>()
            .ToList();

    /// <summary>CPU time the edge has used so far (user + system, all threads): benchmarks divide its growth by the requests served.</summary>
    public TimeSpan TotalProcessorTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts the edge with <paramref name="settings"/> (<c>Section__Key</c> names) and waits until <c>/health</c> answers.</summary>
    public static async Task<EdgeProcess> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan? timeout = null)
    {
        var http = FreePort.Tcp();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Calltracking.Edge.dll"));
        psi.Environment["Http__Urls"] = $"http://127.0.0.1:{http}";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in settings)
        {
            psi.Environment[key] = value;
        }

        var edge = new EdgeProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start the edge"), new Uri($"http://127.0.0.1:{http}"));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (edge.process.HasExited)
            {
                throw new InvalidOperationException($"the edge exited with {edge.process.ExitCode}: {edge.Output}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(edge.BaseAddress, "/health"));
                if (response.IsSuccessStatusCode)
                {
                    return edge;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                edge.Dispose();
                throw new TimeoutException($"the edge did not become healthy: {edge.Output}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: no shutdown hook runs, nothing is flushed that was not already on disk.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length < 200_000)
            {
                output.AppendLine(line);
            }
        }
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }
}
