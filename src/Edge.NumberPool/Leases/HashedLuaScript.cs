using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Calltracking.Edge.NumberPool.Leases;

/// <summary>
/// A Lua script with its SHA1 computed once, so each call is an EVALSHA by hash. Given the text, StackExchange.Redis
/// looks the script up in its per-server cache keyed by the text, hashing the whole script (kilobytes) on every call.
/// </summary>
internal sealed class HashedLuaScript(string text)
{
    public string Text { get; } = text;

#pragma warning disable CA5350 // Redis names scripts by their SHA1 (EVALSHA); it is an identifier here, not a security measure.
    public byte[] Sha1 { get; } = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350

    /// <summary>The SHA1 as EVALSHA names it: 40 lowercase hex digits, in ASCII.</summary>
    public byte[] ShaHex => field ??= Encoding.ASCII.GetBytes(Convert.ToHexStringLower(Sha1));
}

internal static class HashedLuaScriptExtensions
{
    /// <summary>
    /// EVALSHA; when Redis does not know the script (restarted, failed over, SCRIPT FLUSH) one EVAL of the text, which
    /// also caches it in Redis for the next EVALSHA.
    /// </summary>
    /// <remarks>
    /// The client completes its tasks one after another on one worker (its async-order mode), and the caller's
    /// continuation runs inline there. Moving it to the thread pool (a yield after the await) was measured with
    /// <c>lease 10 wrk</c> and <c>lease 10 resolve</c>: one more thread-pool item per request and no gain in
    /// requests/s, CPU per request or resolve() latency that stood out of the run-to-run noise, so it is not done.
    /// </remarks>
    public static async Task<RedisResult> EvaluateAsync(this IDatabaseAsync db, HashedLuaScript script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await db.ScriptEvaluateAsync(script.Sha1, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(script.Text, keys, values, CommandFlags.NoScriptCache).ConfigureAwait(false);
        }
    }
}
