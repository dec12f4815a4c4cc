using Calltracking.Edge.Sip.Tests.Transactions;
using Calltracking.Edge.Sip.Transactions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Tests.Composition;

/// <summary><c>AddSipStack</c> in a real host: settings validated at start, transports started, OPTIONS answered.</summary>
public sealed class AddSipStackTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Services.AddSipStack(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task The_hosted_stack_listens_where_configured_and_answers_options()
    {
        using var host = Build(new() { ["Sip:UdpListen"] = "127.0.0.1:0", ["Sip:TcpListen"] = "127.0.0.1:0" });
        await host.StartAsync();
        try
        {
            var stack = host.Services.GetRequiredService<SipStack>();
            using var peer = new SipPeer();
            await peer.SendAsync(stack.UdpEndPoint!, SipPeer.Options(peer.EndPoint));
            var response = await peer.ReceiveAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(200, response!.StatusCode);
            Assert.Equal(OptionsResponder.Allow, response.Header("Allow"));
            Assert.Equal(stack.UdpEndPoint!.Port, stack.TcpEndPoint!.Port);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Bad_settings_stop_the_start_and_name_each_setting()
    {
        using var host = Build(new()
        {
            ["Sip:UdpListen"] = "not-an-address",
            ["Sip:TcpListen"] = "127.0.0.1:0",
            ["Sip:MaxMessageSize"] = "10",
            ["Sip:T2Milliseconds"] = "100",
        });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.Contains("Sip:UdpListen", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Sip:MaxMessageSize", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Sip:T2Milliseconds", StringComparison.Ordinal));
    }
}
