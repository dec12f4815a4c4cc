namespace Calltracking.Shared.Metrics;

/// <summary>
/// A value for an observable gauge that costs a query (PostgreSQL, Redis): a scrape reads the last value at once and,
/// when it is older than <c>maxAge</c>, starts one reload in the background for the next scrape. Nothing runs
/// between scrapes, a slow store never slows <c>/metrics</c>, and a failed reload keeps the last value.
/// </summary>
public sealed class RefreshedOnRead<T>(Func<CancellationToken, Task<T>> load, T initial, TimeSpan maxAge, TimeProvider time)
    where T : class
{
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(10);
    private T value = initial;
    private DateTimeOffset loadedAt = DateTimeOffset.MinValue;
    private int loading;

    public T Value
    {
        get
        {
            if (time.GetUtcNow() - loadedAt >= maxAge && Interlocked.CompareExchange(ref loading, 1, 0) == 0)
            {
                _ = ReloadAsync();
            }

            return Volatile.Read(ref value);
        }
    }

    /// <summary>Loads now and waits for it (the first scrape after start, or a test).</summary>
    public async Task ReloadAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(LoadTimeout);
            Volatile.Write(ref value, await load(timeout.Token).ConfigureAwait(false));
            loadedAt = time.GetUtcNow();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The store is away: the gauge keeps its last value, and the next scrape tries again.
            loadedAt = time.GetUtcNow() - maxAge / 2;
        }
        finally
        {
            Volatile.Write(ref loading, 0);
        }
    }
}
