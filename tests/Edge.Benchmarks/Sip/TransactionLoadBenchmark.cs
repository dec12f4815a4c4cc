using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Benchmarks.Sip;

/// <summary>
/// What many live transactions cost the stack. The RFC 3261 timers are left at their defaults (T1 = 500 ms).
/// <list type="bullet">
/// <item>OPTIONS are answered 200. Each transaction then lingers 32 s in Completed (timer J), with one timer and no traffic.</item>
/// <item>INVITEs are answered 486 and never ACKed. The 486 is retransmitted at T1, 2·T1, … up to T2 until timer H,
/// 32 s later. This is the heaviest state a server transaction can be left in.</item>
/// </list>
/// Requests go straight into <see cref="SipStack.OnMessage"/>, as the UDP receive loop would hand them over, from one
/// source whose socket drains the responses. Per kind the benchmark reports:
/// <list type="bullet">
/// <item>the CPU per transaction to create it, with the CPU to parse the same messages, measured in the same run, as the baseline;</item>
/// <item>the managed heap held per live transaction, the message buffer included;</item>
/// <item>the process CPU per second while all of them are live (timer upkeep, plus retransmissions for INVITE);</item>
/// <item>how long after the last one all have ended, and the CPU that took.</item>
/// </list>
/// Each kind runs twice: the first round grows the heap, the second runs on the grown heap (kept: RetainVM).
/// Command: <c>dotnet run -c Release --project tests/Edge.Benchmarks -- transactions 100000</c> (about 4 minutes).
/// </summary>
internal static class TransactionLoadBenchmark
{
    public static async Task RunAsync(int count)
    {
        Console.WriteLine(FormattableString.Invariant($"{count:N0} live server transactions per kind, T1 500 ms, {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
        Console.WriteLine("| kind | parse µs CPU / msg (baseline) | create µs CPU / txn | create ÷ parse | heap bytes / live txn | native bytes / live txn | CPU ms/s while live | datagrams out while live /s | all ended after last + s | CPU ms to end them |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        // Round 1 pays for the heap's growth (first-touch page faults, costly in a VM); round 2 runs on the grown heap,
        // as a server that has been up for a while does.
        foreach (var round in new[] { 1, 2 })
        {
            await RunKindAsync($"OPTIONS → 200, timer J (round {round})", "OPTIONS", count);
            await RunKindAsync($"INVITE → 486 unACKed, timers G and H (round {round})", "INVITE", count);
        }
    }

    private static async Task RunKindAsync(string label, string method, int count)
    {
        using var drain = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        drain.ReceiveBufferSize = 8 << 20;
        drain.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var source = new SipEndPoint(SipTransportKind.Udp, (IPEndPoint)drain.LocalEndPoint!);
        using var stop = new CancellationTokenSource();
        var received = 0L;
        var drainLoop = Task.Run(async () =>
        {
            var buffer = new byte[65_536];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await drain.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    Interlocked.Increment(ref received);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        var messages = Enumerable.Range(0, count).Select(i => Request(method, i, source.Address.Port)).ToArray();

        // Baseline, same messages, same run: parsing alone (the second pass, after the JIT has settled).
        TimeSpan parseCpu = default;
        for (var pass = 0; pass < 2; pass++)
        {
            parseCpu = CpuOf(() =>
            {
                foreach (var message in messages)
                {
                    _ = SipParser.Parse(message, datagram: true, out _) ?? throw new InvalidOperationException("benchmark message does not parse");
                }
            });
        }

        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new SipOptions { UdpListen = "127.0.0.1:0", TcpListen = string.Empty, UdpReceiveLoops = 1 };
        var stack = new SipStack(Options.Create(options), TimeProvider.System, new SipMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<SipStack>.Instance);
        stack.SetHandler(new BusyHere());
        await stack.StartAsync();
        try
        {
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            var createCpu = CpuOf(() =>
            {
                foreach (var message in messages)
                {
                    stack.OnMessage(message, source, datagram: true);
                }
            });
            var created = Stopwatch.StartNew();
            messages = [];
            var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            var live = stack.ServerTransactionCount;
            var native = stack.LingeringBytes;
            if (live < count * 99 / 100)
            {
                throw new InvalidOperationException($"only {live} of {count} transactions are live");
            }

            // A window well inside the 32 s the transactions live.
            var window = TimeSpan.FromSeconds(5);
            var receivedBefore = Interlocked.Read(ref received);
            var idleCpu = await CpuOfAsync(() => Task.Delay(window));
            var datagramsPerSecond = (Interlocked.Read(ref received) - receivedBefore) / window.TotalSeconds;

            var endCpu = await CpuOfAsync(async () =>
            {
                var deadline = Stopwatch.StartNew();
                while (stack.ServerTransactionCount > 0 && deadline.Elapsed < TimeSpan.FromSeconds(90))
                {
                    await Task.Delay(100);
                }
            });
            var endedAfter = created.Elapsed.TotalSeconds;
            if (stack.ServerTransactionCount > 0)
            {
                throw new InvalidOperationException($"{stack.ServerTransactionCount} transactions never ended");
            }

            var parseMicros = parseCpu.TotalMicroseconds / count;
            var createMicros = createCpu.TotalMicroseconds / count;
            Console.WriteLine(FormattableString.Invariant(
                $"| {label} | {parseMicros:F2} | {createMicros:F2} | {createMicros / parseMicros:F1}× | {(heapAfter - heapBefore) / (double)live:N0} | {native / (double)live:N0} | {idleCpu.TotalMilliseconds / window.TotalSeconds:F1} | {datagramsPerSecond:N0} | {endedAfter:F1} | {endCpu.TotalMilliseconds:N0} |"));
        }
        finally
        {
            await stack.DisposeAsync();
            await stop.CancelAsync();
            await drainLoop;
        }
    }

    private static byte[] Request(string method, int i, int port)
    {
        var n = i.ToString(CultureInfo.InvariantCulture);
        var text =
            $"{method} sip:7495{n.PadLeft(7, '0')}@edge.example.net;user=phone SIP/2.0\r\n" +
            $"Via: SIP/2.0/UDP 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};branch=z9hG4bK-load-{n};rport\r\n" +
            "Max-Forwards: 70\r\n" +
            $"From: \"79161234567\" <sip:79161234567@carrier.example;user=phone>;tag=f{n}\r\n" +
            $"To: <sip:7495{n.PadLeft(7, '0')}@edge.example.net;user=phone>\r\n" +
            $"Call-ID: load-{n}@127.0.0.1\r\n" +
            $"CSeq: 1 {method}\r\n" +
            "Contact: <sip:79161234567@127.0.0.1>\r\n" +
            "User-Agent: CarrierSBC/7.2\r\n" +
            "Content-Length: 0\r\n\r\n";
        return Encoding.ASCII.GetBytes(text);
    }

    private static TimeSpan CpuOf(Action action)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        action();
        return Process.GetCurrentProcess().TotalProcessorTime - before;
    }

    private static async Task<TimeSpan> CpuOfAsync(Func<Task> action)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        await action();
        return Process.GetCurrentProcess().TotalProcessorTime - before;
    }

    /// <summary>INVITE → 486 Busy Here (left unACKed by the source); everything else as the stack answers by default.</summary>
    private sealed class BusyHere : ISipRequestHandler
    {
        private readonly OptionsResponder defaults = new();

        public void OnRequest(ServerTransaction transaction)
        {
            if (transaction.IsInvite)
            {
                _ = transaction.RespondAsync(486, "Busy Here", SipStack.NewTag());
                return;
            }

            defaults.OnRequest(transaction);
        }

        public void OnAck(SipMessage ack, SipEndPoint source)
        {
        }

        public void OnStrayResponse(SipMessage response, SipEndPoint source)
        {
        }
    }
}
