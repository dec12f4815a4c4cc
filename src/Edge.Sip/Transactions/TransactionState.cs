namespace Calltracking.Edge.Sip.Transactions;

/// <summary>States of RFC 3261 §17 transactions, with RFC 6026's Accepted state for INVITEs answered 2xx.</summary>
public enum TransactionState
{
    Calling,
    Trying,
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}
