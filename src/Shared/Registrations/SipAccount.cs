namespace Calltracking.Shared.Registrations;

/// <summary>A <c>sip_trunk</c> account that a customer's PBX registers at the edge.</summary>
/// <param name="User">The account's user name, <c>&lt;project&gt;_&lt;postfix&gt;</c>.</param>
/// <param name="Password">The digest password (the script's redirect value).</param>
public sealed record SipAccount(long ProjectId, long ScriptId, string User, string Password);
