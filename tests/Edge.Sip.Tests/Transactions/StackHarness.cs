using Calltracking.Edge.Sip.Transactions;
using Calltracking.Edge.Sip.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Tests.Transactions;

/// <summary>A SIP stack on loopback with ephemeral ports, optionally on simulated time.</summary>
internal sealed class StackHarness : IAsyncDisposable
{
    private readonly ServiceProvider services;

    private StackHarness(SipStack stack, ServiceProvider services)
    {
        Stack = stack;
        this.services = services;
    }

    public SipStack Stack { get; }

    public static async Task<StackHarness> StartAsync(TimeProvider? time = null, ISipRequestHandler? handler = null, Action<SipOptions>? configure = null)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new SipOptions { UdpListen = "127.0.0.1:0", TcpListen = "127.0.0.1:0", UdpReceiveLoops = 2 };
        configure?.Invoke(options);
        var stack = new SipStack(Options.Create(options), time ?? TimeProvider.System, new SipMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<SipStack>.Instance);
        if (handler is not null)
        {
            stack.SetHandler(handler);
        }

        await stack.StartAsync();
        return new StackHarness(stack, services);
    }

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        await services.DisposeAsync();
    }
}
