namespace Calltracking.Edge.NumberPool.Leases;

/// <summary>
/// The Lua that makes every lease operation atomic in Redis. Keys share the hash tag <c>{p&lt;project&gt;}</c>, so a
/// project's keys live in one slot and the layout works on Redis Cluster. KEYS[1] is the project's key prefix.
/// Key layout (prefix <c>ct:{pP}:</c>):
/// <list type="bullet">
/// <item><c>pool:S</c> set of the script's numbers; <c>free:S</c> zset number → released at (ms), popped lowest first so
/// a released number rests longest; <c>leased:S</c> zset number → lease expiry; <c>seen:S</c> zset leased number → the
/// latest page view of any of its holders, whose head is the number an exhausted pool shares.</item>
/// <item><c>lease:N</c> hash of the number's current lease (script, started, grace, maxage, shared);
/// <c>holders:N</c> zset visit → its last page view (number request; heartbeats keep the lease but do not count),
/// the 64 latest kept.</item>
/// <item><c>hist:N</c> zset of the number's ended leases, score = end, member <c>started|ended|shared|v1,v2,…</c>
/// (holders by latest page view first); trimmed by age (the history window) and to the last 64 leases.</item>
/// <item><c>visit:V</c> hash: <c>f:*</c> the visit's hot fields, <c>phone:S</c> the number it holds of script S,
/// <c>want:S</c> its grace for script S (it asked for a number, whatever it got).</item>
/// <item><c>want:S</c> zset visit → end of its interest (demand, shared and fallback hand-outs included);
/// <c>peaks:S</c> hash hour → the most visits that wanted a number at once in that hour (the last 168 hours).</item>
/// <item><c>caller:C</c> the visit caller C was last attributed to (preferred among the holders of a shared number).</item>
/// </list>
/// </summary>
internal static class LeaseScripts
{
    /// <summary>The most ended leases kept per number; enough for any late-call window at realistic turnover.</summary>
    public const int HistoryDepth = 64;

    /// <summary>The most holders kept (and considered) per shared number, latest page views first.</summary>
    public const int HolderDepth = 64;

    private static readonly string Reap = $$"""
        local function reap(prefix, script, now, keep)
          local leased = prefix .. 'leased:' .. script
          local expired = redis.call('ZRANGEBYSCORE', leased, '-inf', '(' .. now)
          for _, phone in ipairs(expired) do
            local exp = tonumber(redis.call('ZSCORE', leased, phone))
            local holders = prefix .. 'holders:' .. phone
            local lease = prefix .. 'lease:' .. phone
            local who = redis.call('ZREVRANGE', holders, 0, 7)
            if who[1] then
              local started = redis.call('HGET', lease, 'started') or exp
              local shared = redis.call('ZCARD', holders) > 1 and '1' or '0'
              local hist = prefix .. 'hist:' .. phone
              redis.call('ZADD', hist, exp, started .. '|' .. exp .. '|' .. shared .. '|' .. table.concat(who, ','))
              redis.call('ZREMRANGEBYSCORE', hist, '-inf', '(' .. (now - keep))
              redis.call('ZREMRANGEBYRANK', hist, 0, -{{HistoryDepth + 1}})
              redis.call('PEXPIRE', hist, keep)
            end
            redis.call('DEL', holders, lease)
            redis.call('ZREM', leased, phone)
            redis.call('ZREM', prefix .. 'seen:' .. script, phone)
            if redis.call('SISMEMBER', prefix .. 'pool:' .. script, phone) == 1 then
              redis.call('ZADD', prefix .. 'free:' .. script, exp, phone)
            end
          end
        end

        local function want(prefix, script, visit, now, grace)
          local wanting = prefix .. 'want:' .. script
          redis.call('ZADD', wanting, now + grace, visit)
          redis.call('ZREMRANGEBYSCORE', wanting, '-inf', '(' .. now)
          redis.call('HSET', prefix .. 'visit:' .. visit, 'want:' .. script, grace)
          local n = redis.call('ZCARD', wanting)
          local peaks = prefix .. 'peaks:' .. script
          local hour = math.floor(now / 3600000)
          if redis.call('HSETNX', peaks, hour, n) == 1 then
            for _, h in ipairs(redis.call('HKEYS', peaks)) do
              if tonumber(h) <= hour - 168 then redis.call('HDEL', peaks, h) end
            end
          elseif n > tonumber(redis.call('HGET', peaks, hour)) then
            redis.call('HSET', peaks, hour, n)
          end
        end
        """;

    /// <summary>ARGV: script, visit, now, grace, maxage, policy, keep, require visit ('1': answer novisit when Redis has no hash for it). Returns {number, kind} with kind exclusive|shared|renewed|fallback|empty|uninitialised|novisit.</summary>
    public static readonly string Acquire = Reap + $$"""

        local prefix = KEYS[1]
        local script, visit = ARGV[1], ARGV[2]
        local now, grace, maxage, policy, keep = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
        if redis.call('EXISTS', prefix .. 'pool:' .. script) == 0 then return {'', 'uninitialised'} end
        if ARGV[8] == '1' and redis.call('EXISTS', prefix .. 'visit:' .. visit) == 0 then return {'', 'novisit'} end
        reap(prefix, script, now, keep)
        want(prefix, script, visit, now, grace)
        local leased = prefix .. 'leased:' .. script
        local seen = prefix .. 'seen:' .. script
        local vkey = prefix .. 'visit:' .. visit
        local held = redis.call('HGET', vkey, 'phone:' .. script)
        if held and redis.call('ZSCORE', prefix .. 'holders:' .. held, visit) then
          local started = tonumber(redis.call('HGET', prefix .. 'lease:' .. held, 'started') or now)
          redis.call('ZADD', prefix .. 'holders:' .. held, now, visit)
          redis.call('ZADD', seen, now, held)
          redis.call('ZADD', leased, math.min(now + grace, started + maxage), held)
          local shared = redis.call('HGET', prefix .. 'lease:' .. held, 'shared')
          return {held, shared == '1' and 'shared' or 'renewed'}
        end
        local pick = redis.call('ZRANGE', prefix .. 'free:' .. script, 0, 0)
        if pick[1] then
          local phone = pick[1]
          redis.call('ZREM', prefix .. 'free:' .. script, phone)
          redis.call('HSET', prefix .. 'lease:' .. phone, 'script', script, 'started', now, 'shared', 0, 'grace', grace, 'maxage', maxage)
          redis.call('ZADD', prefix .. 'holders:' .. phone, now, visit)
          redis.call('ZADD', leased, now + grace, phone)
          redis.call('ZADD', seen, now, phone)
          redis.call('HSET', vkey, 'phone:' .. script, phone)
          return {phone, 'exclusive'}
        end
        if policy == 'fallback' then return {'', 'fallback'} end
        -- The number whose holders asked for it longest ago: the head of seen:S (each leased number scored by its
        -- latest page view), O(log n). Leases from before seen:S existed are scored once from their holders.
        if redis.call('ZCARD', seen) ~= redis.call('ZCARD', leased) then
          redis.call('DEL', seen)
          for _, phone in ipairs(redis.call('ZRANGE', leased, 0, -1)) do
            local top = redis.call('ZREVRANGE', prefix .. 'holders:' .. phone, 0, 0, 'WITHSCORES')
            redis.call('ZADD', seen, tonumber(top[2] or 0), phone)
          end
        end
        local head = redis.call('ZRANGE', seen, 0, 0)
        local best = head[1]
        if best == nil then return {'', 'empty'} end
        local lease = prefix .. 'lease:' .. best
        redis.call('ZADD', prefix .. 'holders:' .. best, now, visit)
        redis.call('ZADD', seen, now, best)
        redis.call('ZREMRANGEBYRANK', prefix .. 'holders:' .. best, 0, -{{HolderDepth + 1}})
        redis.call('HSET', lease, 'shared', 1)
        local started = tonumber(redis.call('HGET', lease, 'started') or now)
        local current = tonumber(redis.call('ZSCORE', leased, best) or 0)
        redis.call('ZADD', leased, math.max(current, math.min(now + grace, started + maxage)), best)
        redis.call('HSET', vkey, 'phone:' .. script, best)
        return {best, 'shared'}
        """;

    /// <summary>ARGV: visit, now. Renews every number the visit holds and its interest in each script; returns how many numbers.</summary>
    public const string Heartbeat = """
        local prefix = KEYS[1]
        local visit, now = ARGV[1], tonumber(ARGV[2])
        local vkey = prefix .. 'visit:' .. visit
        local fields = redis.call('HGETALL', vkey)
        local renewed = 0
        for i = 1, #fields, 2 do
          local name = fields[i]
          if string.sub(name, 1, 6) == 'phone:' then
            local script, phone = string.sub(name, 7), fields[i + 1]
            local holders = prefix .. 'holders:' .. phone
            local leased = prefix .. 'leased:' .. script
            local exp = tonumber(redis.call('ZSCORE', leased, phone) or 0)
            if exp >= now and redis.call('ZSCORE', holders, visit) then
              local lease = prefix .. 'lease:' .. phone
              local started = tonumber(redis.call('HGET', lease, 'started') or now)
              local grace = tonumber(redis.call('HGET', lease, 'grace') or 150000)
              local maxage = tonumber(redis.call('HGET', lease, 'maxage') or 86400000)
              redis.call('ZADD', leased, math.max(exp, math.min(now + grace, started + maxage)), phone)
              renewed = renewed + 1
            end
          elseif string.sub(name, 1, 5) == 'want:' then
            local wanting = prefix .. 'want:' .. string.sub(name, 6)
            local until_ = tonumber(redis.call('ZSCORE', wanting, visit) or 0)
            if until_ >= now then redis.call('ZADD', wanting, now + tonumber(fields[i + 1]), visit) end
          end
        end
        return renewed
        """;

    /// <summary>
    /// ARGV: number, instant, late window, caller ('' when unknown), caller memory (ms). Returns
    /// {visit, exclusive|shared|late|none, field, value, …} with the visit's hot fields, so a call needs one round trip.
    /// The visit is the holder at the instant (current lease or history); for a shared number the holder the caller was
    /// attributed to before, else the one whose page asked for the number last; with no holder, the last one whose lease ended within the window.
    /// </summary>
    public static readonly string Resolve = $$"""
        local prefix = KEYS[1]
        local phone, at, late, caller, memory = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
        local remembered = false
        if caller ~= '' then remembered = redis.call('GET', prefix .. 'caller:' .. caller) end
        local function pick(list)
          if remembered then
            for _, v in ipairs(list) do if v == remembered then return v end end
          end
          return list[1]
        end
        local function split(s, sep)
          local out = {}
          for part in string.gmatch(s, '([^' .. sep .. ']+)') do out[#out + 1] = part end
          return out
        end
        local visit, confidence = nil, 'none'
        local searched = false
        local lease = prefix .. 'lease:' .. phone
        local script = redis.call('HGET', lease, 'script')
        if script then
          local started = tonumber(redis.call('HGET', lease, 'started') or 0)
          if started <= at then
            searched = true
            local exp = tonumber(redis.call('ZSCORE', prefix .. 'leased:' .. script, phone) or 0)
            local holders = redis.call('ZREVRANGE', prefix .. 'holders:' .. phone, 0, {{HolderDepth - 1}})
            if holders[1] then
              if at <= exp then
                if #holders > 1 then visit, confidence = pick(holders), 'shared' else visit, confidence = holders[1], 'exclusive' end
              elseif at - exp <= late then
                visit, confidence = pick(holders), 'late'
              end
            end
          end
        end
        if not searched then
          local hist = prefix .. 'hist:' .. phone
          local covering = redis.call('ZRANGEBYSCORE', hist, at, '+inf', 'LIMIT', 0, 1)
          local entry = covering[1] and split(covering[1], '|')
          if entry and tonumber(entry[1]) <= at then
            local holders = split(entry[4], ',')
            if entry[3] == '1' then visit, confidence = pick(holders), 'shared' else visit, confidence = holders[1], 'exclusive' end
          else
            local before = redis.call('ZREVRANGEBYSCORE', hist, '(' .. at, at - late, 'LIMIT', 0, 1)
            if before[1] then
              entry = split(before[1], '|')
              visit, confidence = pick(split(entry[4], ',')), 'late'
            end
          end
        end
        if not visit then return {'', 'none'} end
        if caller ~= '' then redis.call('SET', prefix .. 'caller:' .. caller, visit, 'PX', memory) end
        local result = {visit, confidence}
        local fields = redis.call('HGETALL', prefix .. 'visit:' .. visit)
        for i = 1, #fields, 2 do
          if string.sub(fields[i], 1, 2) == 'f:' and fields[i] ~= 'f:_' then
            result[#result + 1] = string.sub(fields[i], 3)
            result[#result + 1] = fields[i + 1]
          end
        end
        return result
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

    /// <summary>ARGV: script, now. The most visits that wanted a number of the script at once over the last 168 hours; -1 without data.</summary>
    public const string PeakDemand = """
        local peaks = redis.call('HGETALL', KEYS[1] .. 'peaks:' .. ARGV[1])
        local hour = math.floor(tonumber(ARGV[2]) / 3600000)
        local best = -1
        for i = 1, #peaks, 2 do
          if tonumber(peaks[i]) > hour - 168 then best = math.max(best, tonumber(peaks[i + 1])) end
        end
        return best
        """;
}
