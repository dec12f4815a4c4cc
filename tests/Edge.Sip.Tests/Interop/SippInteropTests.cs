using System.Diagnostics;
using System.Globalization;
using System.Net;
using Calltracking.Edge.Sip.Tests.Transactions;

namespace Calltracking.Edge.Sip.Tests.Interop;

/// <summary>
/// SIPp (Debian `sip-tester`) as the peer: OPTIONS over UDP and TCP answered 200 with Allow, and SIPp's built-in
/// UAC scenario (INVITE, ACK, BYE) completing against <see cref="MinimalUserAgent"/> on this stack.
/// </summary>
public sealed class SippInteropTests : IDisposable
{
    private const string OptionsScenario = """
        <?xml version="1.0" encoding="ISO-8859-1" ?>
        <scenario name="options with allow">
          <send retrans="500">
            <![CDATA[

              OPTIONS sip:[remote_ip]:[remote_port] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
              From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]OP[call_number]
              To: <sip:[remote_ip]:[remote_port]>
              Call-ID: [call_id]
              CSeq: 1 OPTIONS
              Max-Forwards: 70
              Content-Length: 0

            ]]>
          </send>
          <recv response="200">
            <action>
              <ereg regexp="INVITE, ACK, BYE" search_in="hdr" header="Allow:" check_it="true" assign_to="allow"/>
            </action>
          </recv>
          <Reference variables="allow"/>
        </scenario>
        """;

    private readonly string directory = Directory.CreateTempSubdirectory("edge-sipp-").FullName;

    private async Task<(int ExitCode, string Output)> RunSippAsync(IPEndPoint edge, params string[] arguments)
    {
        var start = new ProcessStartInfo("sipp")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add($"127.0.0.1:{edge.Port.ToString(CultureInfo.InvariantCulture)}");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Bounded: one call, local loopback, SIPp's own global timeout, no interactive screen.
        foreach (var argument in new[] { "-i", "127.0.0.1", "-m", "1", "-timeout", "15s", "-timeout_error", "-nostdin", "-trace_err" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var errors = Directory.GetFiles(directory, "*_errors.log").Select(File.ReadAllText);
        return (process.ExitCode, $"sipp exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {await stderr}\n{string.Join('\n', errors)}\n{await stdout}");
    }

    private string WriteScenario(string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Sipp_options_over_udp_gets_200_with_allow()
    {
        await using var edge = await StackHarness.StartAsync();
        var (exit, output) = await RunSippAsync(edge.Stack.UdpEndPoint!, "-sf", WriteScenario("options.xml", OptionsScenario));
        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task Sipp_options_over_tcp_gets_200_with_allow()
    {
        await using var edge = await StackHarness.StartAsync();
        var (exit, output) = await RunSippAsync(edge.Stack.TcpEndPoint!, "-sf", WriteScenario("options.xml", OptionsScenario), "-t", "t1");
        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task Sipp_uac_call_invite_ack_bye_completes()
    {
        var agent = new MinimalUserAgent();
        await using var edge = await StackHarness.StartAsync(handler: agent);
        var (exit, output) = await RunSippAsync(edge.Stack.UdpEndPoint!, "-sn", "uac", "-s", "74951234567", "-d", "100");
        Assert.True(exit == 0, output);
        Assert.Equal(["INVITE", "ACK", "BYE"], agent.Seen);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
