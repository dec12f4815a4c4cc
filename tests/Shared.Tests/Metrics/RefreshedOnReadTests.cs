using Calltracking.Shared.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Shared.Tests.Metrics;

public sealed class RefreshedOnReadTests
{
    private sealed record Box(int N);

    [Fact]
    public async Task A_stale_read_answers_at_once_and_loads_once_for_the_next_read()
    {
        var time = new FakeTimeProvider();
        var loads = 0;
        var gate = new TaskCompletionSource();
        var value = new RefreshedOnRead<Box>(async _ => { Interlocked.Increment(ref loads); await gate.Task; return new Box(loads); }, new Box(0), TimeSpan.FromSeconds(10), time);

        Assert.Equal(0, value.Value.N); // stale from the start: the load begins, the read does not wait for it
        Assert.Equal(0, value.Value.N); // a load in flight is not started twice
        Assert.Equal(1, loads);
        gate.SetResult();
        await WaitUntilAsync(() => value.Value.N == 1);

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, value.Value.N);
        Assert.Equal(1, loads); // fresh: nothing loads
        time.Advance(TimeSpan.FromSeconds(6));
        _ = value.Value;
        await WaitUntilAsync(() => value.Value.N == 2);
    }

    [Fact]
    public async Task A_failed_load_keeps_the_last_value()
    {
        var fail = false;
        var time = new FakeTimeProvider();
        var value = new RefreshedOnRead<Box>(_ => fail ? throw new TimeoutException("store away") : Task.FromResult(new Box(7)), new Box(0), TimeSpan.FromSeconds(10), time);
        await value.ReloadAsync();
        Assert.Equal(7, value.Value.N);

        fail = true;
        time.Advance(TimeSpan.FromSeconds(11));
        await value.ReloadAsync();
        Assert.Equal(7, value.Value.N);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the background load did not finish");
            await Task.Delay(10);
        }
    }
}
