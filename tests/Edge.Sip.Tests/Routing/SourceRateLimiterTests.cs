using System.Net;
using Calltracking.Edge.Sip.Routing;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Routing;

public sealed class SourceRateLimiterTests
{
    private static readonly IPAddress Carrier = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Other = IPAddress.Parse("192.0.2.2");

    [Fact]
    public void Allows_a_burst_of_one_second_then_refuses()
    {
        var limiter = new SourceRateLimiter(10, new FakeTimeProvider());
        var allowed = Enumerable.Range(0, 15).Count(_ => limiter.TryAcquire(Carrier));
        Assert.Equal(10, allowed);
    }

    [Fact]
    public void Refills_at_the_configured_rate()
    {
        var time = new FakeTimeProvider();
        var limiter = new SourceRateLimiter(10, time);
        while (limiter.TryAcquire(Carrier))
        {
        }

        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(5, Enumerable.Range(0, 10).Count(_ => limiter.TryAcquire(Carrier)));
    }

    [Fact]
    public void Sources_are_limited_independently()
    {
        var limiter = new SourceRateLimiter(1, new FakeTimeProvider());
        Assert.True(limiter.TryAcquire(Carrier));
        Assert.False(limiter.TryAcquire(Carrier));
        Assert.True(limiter.TryAcquire(Other));
    }
}
