namespace Calltracking.Edge.NumberPool.Leases;

/// <summary>
/// The Lua that makes every lease operation atomic in Redis. Keys share the hash tag <c>{p&lt;project&gt;}</c>, so a
/// project's keys live in one slot and the layout works on Redis Cluster. KEYS[1] is the project's key prefix.
/// Key layout (prefix <c>ct:{pP}:</c>): <c>pool:S</c> set of the script's numbers; <c>free:S</c> zset number → released
/// at (ms), popped lowest first so a released number rests longest; <c>leased:S</c> zset number → lease expiry;
/// <c>lease:N</c> hash of the number's lease; <c>holders:N</c> zset visit → last activity; <c>last:N</c> the last holder
/// after the lease ended (kept for the late-call window); <c>visit:V</c> the visit's numbers and hot fields;
/// <c>stats:S</c> counters for accuracy.
/// </summary>
internal static class LeaseScripts
{
    private const string Reap = """
        local function reap(prefix, script, now, late)
          local leased = prefix .. 'leased:' .. script
          local expired = redis.call('ZRANGEBYSCORE', leased, '-inf', '(' .. now)
          for _, phone in ipairs(expired) do
            local exp = tonumber(redis.call('ZSCORE', leased, phone))
            local holders = prefix .. 'holders:' .. phone
            local last = redis.call('ZREVRANGE', holders, 0, 0)
            if last[1] then
              redis.call('HSET', prefix .. 'last:' .. phone, 'visit', last[1], 'ended', exp)
              redis.call('PEXPIRE', prefix .. 'last:' .. phone, late)
            end
            redis.call('DEL', holders, prefix .. 'lease:' .. phone)
            redis.call('ZREM', leased, phone)
            if redis.call('SISMEMBER', prefix .. 'pool:' .. script, phone) == 1 then
              redis.call('ZADD', prefix .. 'free:' .. script, exp, phone)
            end
          end
        end
        """;

    /// <summary>ARGV: script, visit, now, grace, maxage, policy, late. Returns {number, kind} with kind exclusive|shared|renewed|fallback|empty|uninitialised.</summary>
    public const string Acquire = Reap + """

        local prefix = KEYS[1]
        local script, visit = ARGV[1], ARGV[2]
        local now, grace, maxage, policy, late = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
        if redis.call('EXISTS', prefix .. 'pool:' .. script) == 0 then return {'', 'uninitialised'} end
        reap(prefix, script, now, late)
        local leased = prefix .. 'leased:' .. script
        local vkey = prefix .. 'visit:' .. visit
        local held = redis.call('HGET', vkey, 'phone:' .. script)
        if held and redis.call('ZSCORE', prefix .. 'holders:' .. held, visit) then
          local started = tonumber(redis.call('HGET', prefix .. 'lease:' .. held, 'started') or now)
          redis.call('ZADD', prefix .. 'holders:' .. held, now, visit)
          redis.call('ZADD', leased, math.min(now + grace, started + maxage), held)
          local shared = redis.call('HGET', prefix .. 'lease:' .. held, 'shared')
          return {held, shared == '1' and 'shared' or 'renewed'}
        end
        local stats = prefix .. 'stats:' .. script
        local pick = redis.call('ZRANGE', prefix .. 'free:' .. script, 0, 0)
        if pick[1] then
          local phone = pick[1]
          redis.call('ZREM', prefix .. 'free:' .. script, phone)
          redis.call('HSET', prefix .. 'lease:' .. phone, 'script', script, 'started', now, 'shared', 0, 'grace', grace, 'maxage', maxage)
          redis.call('ZADD', prefix .. 'holders:' .. phone, now, visit)
          redis.call('ZADD', leased, now + grace, phone)
          redis.call('HSET', vkey, 'phone:' .. script, phone)
          redis.call('HINCRBY', stats, 'exclusive', 1)
          local inUse = redis.call('ZCARD', leased)
          if inUse > tonumber(redis.call('HGET', stats, 'peak') or 0) then redis.call('HSET', stats, 'peak', inUse) end
          return {phone, 'exclusive'}
        end
        if policy == 'fallback' then
          redis.call('HINCRBY', stats, 'fallback', 1)
          redis.call('HINCRBY', stats, 'demand_over', 1)
          return {'', 'fallback'}
        end
        local best, bestSeen = nil, nil
        for _, phone in ipairs(redis.call('ZRANGE', leased, 0, -1)) do
          local top = redis.call('ZREVRANGE', prefix .. 'holders:' .. phone, 0, 0, 'WITHSCORES')
          local seen = tonumber(top[2] or 0)
          if best == nil or seen < bestSeen then best, bestSeen = phone, seen end
        end
        if best == nil then return {'', 'empty'} end
        local lease = prefix .. 'lease:' .. best
        redis.call('ZADD', prefix .. 'holders:' .. best, now, visit)
        redis.call('HSET', lease, 'shared', 1)
        local started = tonumber(redis.call('HGET', lease, 'started') or now)
        local current = tonumber(redis.call('ZSCORE', leased, best) or 0)
        redis.call('ZADD', leased, math.max(current, math.min(now + grace, started + maxage)), best)
        redis.call('HSET', vkey, 'phone:' .. script, best)
        redis.call('HINCRBY', stats, 'shared', 1)
        redis.call('HINCRBY', stats, 'demand_over', 1)
        return {best, 'shared'}
        """;

    /// <summary>ARGV: visit, now. Renews every number the visit holds; returns how many.</summary>
    public const string Heartbeat = """
        local prefix = KEYS[1]
        local visit, now = ARGV[1], tonumber(ARGV[2])
        local vkey = prefix .. 'visit:' .. visit
        local fields = redis.call('HGETALL', vkey)
        local renewed = 0
        for i = 1, #fields, 2 do
          if string.sub(fields[i], 1, 6) == 'phone:' then
            local script, phone = string.sub(fields[i], 7), fields[i + 1]
            local holders = prefix .. 'holders:' .. phone
            local leased = prefix .. 'leased:' .. script
            local exp = tonumber(redis.call('ZSCORE', leased, phone) or 0)
            if exp >= now and redis.call('ZSCORE', holders, visit) then
              local lease = prefix .. 'lease:' .. phone
              local started = tonumber(redis.call('HGET', lease, 'started') or now)
              local grace = tonumber(redis.call('HGET', lease, 'grace') or 150000)
              local maxage = tonumber(redis.call('HGET', lease, 'maxage') or 86400000)
              redis.call('ZADD', holders, now, visit)
              redis.call('ZADD', leased, math.max(exp, math.min(now + grace, started + maxage)), phone)
              renewed = renewed + 1
            end
          end
        end
        return renewed
        """;

    /// <summary>ARGV: number, now, late. Returns {visit, exclusive|shared|late|none}.</summary>
    public const string Resolve = """
        local prefix = KEYS[1]
        local phone, now, late = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        local lease = prefix .. 'lease:' .. phone
        local holders = prefix .. 'holders:' .. phone
        local script = redis.call('HGET', lease, 'script')
        if script then
          local exp = tonumber(redis.call('ZSCORE', prefix .. 'leased:' .. script, phone) or 0)
          local top = redis.call('ZREVRANGE', holders, 0, 0)
          if top[1] then
            if exp >= now then
              return {top[1], redis.call('ZCARD', holders) > 1 and 'shared' or 'exclusive'}
            end
            if now - exp <= late then return {top[1], 'late'} end
          end
        end
        local last = redis.call('HMGET', prefix .. 'last:' .. phone, 'visit', 'ended')
        if last[1] and now - tonumber(last[2]) <= late then return {last[1], 'late'} end
        return {'', 'none'}
        """;

    /// <summary>ARGV: script, then the numbers. Makes the pool exactly these numbers; new ones start free (rested).</summary>
    public const string SyncPool = """
        local prefix = KEYS[1]
        local script = ARGV[1]
        local pool = prefix .. 'pool:' .. script
        local free = prefix .. 'free:' .. script
        local leased = prefix .. 'leased:' .. script
        redis.call('DEL', pool)
        redis.call('SADD', pool, '__init__')
        for i = 2, #ARGV do
          redis.call('SADD', pool, ARGV[i])
          if not redis.call('ZSCORE', free, ARGV[i]) and not redis.call('ZSCORE', leased, ARGV[i]) then
            redis.call('ZADD', free, 0, ARGV[i])
          end
        end
        for _, phone in ipairs(redis.call('ZRANGE', free, 0, -1)) do
          if redis.call('SISMEMBER', pool, phone) == 0 then redis.call('ZREM', free, phone) end
        end
        return redis.call('SCARD', pool) - 1
        """;
}
