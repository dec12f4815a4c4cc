namespace Calltracking.Edge.Sip.Transactions;

/// <summary>The transaction kinds on the active-transactions gauge, as the byte a lingering entry keeps and as the label.</summary>
internal static class TransactionKind
{
    public const byte ServerInvite = 0;
    public const byte ServerNonInvite = 1;
    public const byte ClientInvite = 2;
    public const byte ClientNonInvite = 3;

    private static readonly string[] Names = ["server_invite", "server_non_invite", "client_invite", "client_non_invite"];

    public static string Name(byte kind) => Names[kind];
}
