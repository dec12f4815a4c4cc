using System.Text.Json;
using Calltracking.Shared.Registrations;
using StackExchange.Redis;

namespace Calltracking.Edge.Host.Registrations;

/// <summary>
/// Registrar bindings in Redis, one hash per account (<c>edge:reg:{user}</c>, field = Contact URI, value = the
/// binding as JSON), so every edge instance sees every registration. The key expires with its longest binding;
/// expired fields are ignored on read and pruned by the next write.
/// </summary>
public sealed class RedisRegistrationStore(IConnectionMultiplexer redis, TimeProvider time) : IRegistrationStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Atomically: drop expired fields, then set or delete the given one, then expire the key with the last binding.
    private const string UpsertScript = """
        local now = tonumber(ARGV[1])
        local all = redis.call('HGETALL', KEYS[1])
        for i = 1, #all, 2 do
          local ok, b = pcall(cjson.decode, all[i + 1])
          if (not ok) or tonumber(b.expiresAtMs) <= now then redis.call('HDEL', KEYS[1], all[i]) end
        end
        if tonumber(ARGV[4]) > now then
          redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
        else
          redis.call('HDEL', KEYS[1], ARGV[2])
        end
        local max = 0
        local rest = redis.call('HVALS', KEYS[1])
        for i = 1, #rest do
          local e = tonumber(cjson.decode(rest[i]).expiresAtMs)
          if e > max then max = e end
        end
        if max > 0 then redis.call('PEXPIREAT', KEYS[1], max) end
        return #rest
        """;

    private static RedisKey Key(string user) => $"edge:reg:{{{user}}}";

    public async ValueTask UpsertAsync(string user, ContactBinding binding, CancellationToken cancellationToken)
    {
        var stored = StoredBinding.From(binding);
        await redis.GetDatabase().ScriptEvaluateAsync(
            UpsertScript,
            [Key(user)],
            [time.GetUtcNow().ToUnixTimeMilliseconds(), binding.ContactUri, JsonSerializer.Serialize(stored, Json), stored.ExpiresAtMs]);
    }

    public async ValueTask RemoveAsync(string user, string contactUri, CancellationToken cancellationToken) =>
        await redis.GetDatabase().HashDeleteAsync(Key(user), contactUri);

    public async ValueTask RemoveAllAsync(string user, CancellationToken cancellationToken) =>
        await redis.GetDatabase().KeyDeleteAsync(Key(user));

    public async ValueTask<IReadOnlyList<ContactBinding>> GetAsync(string user, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entries = await redis.GetDatabase().HashValuesAsync(Key(user));
        var nowMs = now.ToUnixTimeMilliseconds();
        var bindings = new List<ContactBinding>(entries.Length);
        foreach (var entry in entries)
        {
            StoredBinding? stored;
            try
            {
                stored = JsonSerializer.Deserialize<StoredBinding>((string)entry!, Json);
            }
            catch (JsonException)
            {
                continue;
            }

            if (stored is not null && stored.ExpiresAtMs > nowMs)
            {
                bindings.Add(stored.ToBinding());
            }
        }

        bindings.Sort((a, b) => b.QValue.CompareTo(a.QValue) is var byQ && byQ != 0 ? byQ : b.ExpiresAt.CompareTo(a.ExpiresAt));
        return bindings;
    }

    private sealed record StoredBinding(string ContactUri, string ReceivedFrom, string EdgeInstance, string CallId, long CSeq, long ExpiresAtMs, float QValue)
    {
        public static StoredBinding From(ContactBinding b) =>
            new(b.ContactUri, b.ReceivedFrom, b.EdgeInstance, b.CallId, b.CSeq, b.ExpiresAt.ToUnixTimeMilliseconds(), b.QValue);

        public ContactBinding ToBinding() =>
            new(ContactUri, ReceivedFrom, EdgeInstance, CallId, CSeq, DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAtMs), QValue);
    }
}
