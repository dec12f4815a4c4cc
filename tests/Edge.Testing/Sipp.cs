using System.Diagnostics;
using System.Globalization;

namespace Calltracking.Edge.Testing;

/// <summary>
/// Runs SIPp (Debian's <c>sip-tester</c>) as a real SIP peer: a carrier placing calls or a PBX answering them.
/// Scenarios are XML text written to a temporary directory; <c>-key</c> values fill <c>[name]</c> placeholders.
/// </summary>
public sealed class Sipp : IDisposable
{
    private readonly Process process;
    private readonly string directory;

    private Sipp(Process process, string directory, int port)
    {
        this.process = process;
        this.directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static Sipp Start(string scenarioXml, string? remote, int calls = 1, IReadOnlyDictionary<string, string>? keys = null, int? port = null, TimeSpan? timeout = null, string transport = "u1", IReadOnlyList<string>? extraArgs = null)
    {
        var binary = ExternalTool.Require("sipp", "sip-tester", "/usr/bin/sipp");
        var directory = Path.Combine(Path.GetTempPath(), "edge-sipp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var scenario = Path.Combine(directory, "scenario.xml");
        File.WriteAllText(scenario, scenarioXml);
        var localPort = port ?? FreePort.Udp();
        var psi = new ProcessStartInfo(binary)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var args = new List<string>
        {
            "-sf", scenario, "-i", "127.0.0.1", "-p", localPort.ToString(CultureInfo.InvariantCulture), "-m", calls.ToString(CultureInfo.InvariantCulture),
            "-t", transport, "-nostdin", "-trace_err", "-trace_msg", "-timeout", ((int)(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s", "-timeout_error",
            "-max_recv_loops", "1000", "-r", "10",
        };
        foreach (var (key, value) in keys ?? new Dictionary<string, string>())
        {
            args.Add("-key");
            args.Add(key);
            args.Add(value);
        }

        args.AddRange(extraArgs ?? []);
        if (remote is not null)
        {
            args.Add(remote);
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start sipp");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (remote is null)
        {
            // A SIPp that answers (a PBX, a gateway) must be listening before anyone sends to it: on a busy machine it
            // can take longer to bind its port than the edge takes to forward the first INVITE, which the kernel would
            // then refuse (ICMP port unreachable) and the edge rightly treat as an unreachable target.
            WaitBound(process, localPort, tcp: transport.StartsWith('t'));
        }

        return new Sipp(process, directory, localPort);
    }

    /// <summary>Waits (up to 10 s, or until SIPp exits) until a socket is bound to the port: UDP, or TCP listening (from /proc/net).</summary>
    private static void WaitBound(Process process, int port, bool tcp)
    {
        var local = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (Stopwatch.GetTimestamp() < deadline && !process.HasExited)
        {
            foreach (var table in tcp ? ["/proc/net/tcp", "/proc/net/tcp6"] : new[] { "/proc/net/udp", "/proc/net/udp6" })
            {
                if (File.Exists(table) && File.ReadLines(table).Skip(1).Any(line => IsBound(line, local, tcp)))
                {
                    return;
                }
            }

            Thread.Sleep(20);
        }
    }

    // A /proc/net line: "sl local_address rem_address st ..."; the local address ends with ":PORT" in hex; TCP's listening state is 0A.
    private static bool IsBound(string line, string local, bool tcp)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 3 && fields[1].EndsWith(local, StringComparison.Ordinal) && (!tcp || fields[3] == "0A");
    }

    /// <summary>Waits for SIPp to finish; returns its exit code (0: every call succeeded) and its error log.</summary>
    public async Task<(int ExitCode, string Errors)> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "sipp did not finish in time. " + Errors());
        }

        return (process.ExitCode, Errors());
    }

    /// <summary>Every message SIPp sent and received (its <c>-trace_msg</c> log); complete once SIPp has exited.</summary>
    public string MessageLog() => string.Join("\n", Directory.EnumerateFiles(directory, "*messages.log").Select(File.ReadAllText));

    private string Errors() =>
        string.Join("\n", Directory.EnumerateFiles(directory, "*errors.log").Select(File.ReadAllText))
        + "\n--- messages ---\n" + string.Join("\n", Directory.EnumerateFiles(directory, "*messages.log").Select(f => { var t = File.ReadAllText(f); return t.Length > 6000 ? t[^6000..] : t; }));

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
