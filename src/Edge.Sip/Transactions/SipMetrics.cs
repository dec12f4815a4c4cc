using System.Diagnostics.Metrics;

namespace Calltracking.Edge.Sip.Transactions;

/// <summary>The SIP layer's instruments (names as in docs/operations.md). Label values are bounded sets.</summary>
public sealed class SipMetrics
{
    public const string MeterName = "Calltracking.Edge.Sip";

    private static readonly HashSet<string> KnownMethods = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE", "PRACK", "NOTIFY", "REFER", "SUBSCRIBE", "MESSAGE"];

    private readonly Counter<long> requests;
    private readonly Counter<long> responses;
    private readonly Counter<long> parseErrors;
    private readonly Counter<long> retransmissions;
    private readonly Counter<long> rejected;
    private readonly UpDownCounter<long> transactions;
    private readonly Histogram<double> queued;

    public SipMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        requests = meter.CreateCounter<long>("edge_sip_requests_total", description: "SIP requests received (in) or sent (out), retransmissions excluded");
        responses = meter.CreateCounter<long>("edge_sip_responses_total", description: "SIP responses received (in) or sent (out)");
        parseErrors = meter.CreateCounter<long>("edge_sip_parse_errors_total", description: "Messages that could not be parsed");
        retransmissions = meter.CreateCounter<long>("edge_sip_retransmissions_total", description: "Retransmissions sent (out) or duplicates received (in)");
        rejected = meter.CreateCounter<long>("edge_sip_requests_rejected_total", description: "Requests the edge refused itself");
        transactions = meter.CreateUpDownCounter<long>("edge_sip_transactions_active", description: "Transactions alive now");
        queued = meter.CreateHistogram(
            "edge_sip_receive_queue_seconds",
            unit: "s",
            description: "Time a UDP datagram waited in the kernel's receive queue before the stack took it",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1] });
    }

    /// <summary>The method labels in a fixed order ("other" last), so a method can be kept as one byte.</summary>
    private static readonly string[] MethodLabels = [.. KnownMethods.Order(StringComparer.Ordinal), "other"];

    public static string Method(string method) => KnownMethods.Contains(method) ? method : "other";

    /// <summary>The method's label as an index into a fixed table (<see cref="MethodLabel"/>).</summary>
    public static byte MethodIndex(string method)
    {
        var label = Method(method);
        return (byte)Array.IndexOf(MethodLabels, label);
    }

    public static string MethodLabel(byte index) => MethodLabels[index < MethodLabels.Length ? index : MethodLabels.Length - 1];

    public static string StatusClass(int code) => code switch
    {
        < 200 => "1xx",
        < 300 => "2xx",
        < 400 => "3xx",
        < 500 => "4xx",
        < 600 => "5xx",
        _ => "6xx",
    };

    public void Request(string direction, string method) =>
        requests.Add(1, new KeyValuePair<string, object?>("direction", direction), new KeyValuePair<string, object?>("method", Method(method)));

    public void Response(string direction, string method, int code) =>
        responses.Add(1, new KeyValuePair<string, object?>("direction", direction), new KeyValuePair<string, object?>("method", Method(method)), new KeyValuePair<string, object?>("status_class", StatusClass(code)));

    public void ParseError(string transport, string reason) =>
        parseErrors.Add(1, new KeyValuePair<string, object?>("transport", transport), new KeyValuePair<string, object?>("reason", reason));

    public void Retransmission(string direction, string method) =>
        retransmissions.Add(1, new KeyValuePair<string, object?>("direction", direction), new KeyValuePair<string, object?>("method", Method(method)));

    /// <summary>A datagram's wait in the kernel's receive queue.</summary>
    public void Queued(TimeSpan wait) => queued.Record(wait.TotalSeconds);

    public void Rejected(string reason) => rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void TransactionStarted(byte kind) => transactions.Add(1, new KeyValuePair<string, object?>("kind", TransactionKind.Name(kind)));

    internal void TransactionEnded(byte kind) => transactions.Add(-1, new KeyValuePair<string, object?>("kind", TransactionKind.Name(kind)));
}
