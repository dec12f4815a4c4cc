namespace Calltracking.Shared.Metrics;

/// <summary>
/// Meter and instrument names the operations side (alert rules, dashboard, docs/operations.md) relies on.
/// Labels and their bounded value sets are listed in docs/operations.md.
/// </summary>
public static class EdgeMetricNames
{
    public const string SipMeter = "Calltracking.Edge.Sip";
    public const string NumberPoolMeter = "Calltracking.Edge.NumberPool";
    public const string RecordingMeter = "Calltracking.Edge.Recording";
    public const string HostMeter = "Calltracking.Edge.Host";

    /// <summary>counter: SIP requests received from peers (in) or sent by the edge (out), retransmissions excluded.</summary>
    public const string SipRequestsTotal = "edge_sip_requests_total";

    /// <summary>counter: SIP responses received (in) or sent (out), by the method of the transaction.</summary>
    public const string SipResponsesTotal = "edge_sip_responses_total";

    /// <summary>counter: datagrams / stream frames that could not be parsed (answered 400 when possible).</summary>
    public const string SipParseErrorsTotal = "edge_sip_parse_errors_total";

    /// <summary>counter: retransmitted requests/responses (RFC 3261 timers A, E, G) sent, or duplicates received.</summary>
    public const string SipRetransmissionsTotal = "edge_sip_retransmissions_total";

    /// <summary>gauge: transactions alive now.</summary>
    public const string SipTransactionsActive = "edge_sip_transactions_active";

    /// <summary>counter: requests the edge refused itself (403/429/503/404/400).</summary>
    public const string SipRequestsRejectedTotal = "edge_sip_requests_rejected_total";

    /// <summary>gauge: sip_trunk contact bindings currently registered.</summary>
    public const string SipRegistrationsActive = "edge_sip_registrations_active";

    /// <summary>counter: REGISTER requests by outcome.</summary>
    public const string SipRegistrationsTotal = "edge_sip_registrations_total";

    /// <summary>counter: calls ended, by final status and the script's redirect type.</summary>
    public const string CallsTotal = "edge_calls_total";

    /// <summary>gauge: calls in progress (INVITE received, not yet ended).</summary>
    public const string CallsActive = "edge_calls_active";

    /// <summary>histogram: time a UDP datagram waited in the kernel's receive queue before the stack took it. Buckets 0.1 ms … 1 s.</summary>
    public const string SipReceiveQueueSeconds = "edge_sip_receive_queue_seconds";

    /// <summary>histogram: INVITE received from the carrier → INVITE sent to the target (routing + attribution). Buckets 0.5 ms … 1 s.</summary>
    public const string SipInviteForwardSeconds = "edge_sip_invite_forward_seconds";

    /// <summary>histogram: INVITE received → first 180/183/200 from the target. Buckets 0.1 s … 30 s.</summary>
    public const string CallPostDialDelaySeconds = "edge_call_post_dial_delay_seconds";

    /// <summary>counter: RTP packets relayed.</summary>
    public const string RtpPacketsTotal = "edge_rtp_packets_total";

    /// <summary>counter: RTP packets missing by sequence number.</summary>
    public const string RtpPacketsLostTotal = "edge_rtp_packets_lost_total";

    /// <summary>gauge: relay ports allocated.</summary>
    public const string RtpPortsInUse = "edge_rtp_ports_in_use";

    /// <summary>gauge: relay ports configured.</summary>
    public const string RtpPortsCapacity = "edge_rtp_ports_capacity";

    /// <summary>counter: packets not relayed, by reason.</summary>
    public const string RtpPacketsDroppedTotal = "edge_rtp_packets_dropped_total";

    /// <summary>counter: recorded calls left unrelayed because the port range was full.</summary>
    public const string RtpPortExhaustionTotal = "edge_rtp_port_exhaustion_total";

    /// <summary>counter: answered relayed calls hung up for lack of media.</summary>
    public const string RtpIdleHangupsTotal = "edge_rtp_idle_hangups_total";

    /// <summary>gauge: 1 after SIGTERM while calls finish (new INVITEs get 503), else 0.</summary>
    public const string Draining = "edge_draining";

    /// <summary>counter: attribution of a call to a visit (unavailable: Redis did not answer, call routed without attribution).</summary>
    public const string AttributionTotal = "edge_attribution_total";

    /// <summary>counter: route resolutions by result.</summary>
    public const string RouteLookupsTotal = "edge_route_lookups_total";

    /// <summary>gauge: numbers in the script's pool.</summary>
    public const string PoolNumbers = "edge_pool_numbers";

    /// <summary>gauge: numbers currently leased to visits.</summary>
    public const string PoolNumbersLeased = "edge_pool_numbers_leased";

    /// <summary>counter: numbers handed to visits; shared means the pool was exhausted.</summary>
    public const string PoolLeasesTotal = "edge_pool_leases_total";

    /// <summary>counter: Redis round trips by outcome.</summary>
    public const string RedisOperationsTotal = "edge_redis_operations_total";

    /// <summary>histogram: Redis round-trip time. Buckets 0.25 ms … 1 s.</summary>
    public const string RedisOperationSeconds = "edge_redis_operation_seconds";

    /// <summary>counter: PostgreSQL statements by outcome.</summary>
    public const string PostgresOperationsTotal = "edge_postgres_operations_total";

    /// <summary>histogram: PostgreSQL statement time. Buckets 1 ms … 10 s.</summary>
    public const string PostgresOperationSeconds = "edge_postgres_operation_seconds";

    /// <summary>gauge: call records in the local durable spool, not yet in PostgreSQL.</summary>
    public const string SpoolDepthRecords = "edge_spool_depth_records";

    /// <summary>gauge: age of the oldest spooled record (0 when empty).</summary>
    public const string SpoolOldestAgeSeconds = "edge_spool_oldest_age_seconds";

    /// <summary>counter: records written (fsync'd) to the spool.</summary>
    public const string SpoolAppendedTotal = "edge_spool_appended_total";

    /// <summary>counter: records moved from the spool to PostgreSQL.</summary>
    public const string SpoolDrainedTotal = "edge_spool_drained_total";

    /// <summary>counter: spool segment writes that failed (disk full, failing or read-only); each is retried.</summary>
    public const string SpoolWriteErrorsTotal = "edge_spool_write_errors_total";

    /// <summary>gauge: webhook deliveries waiting in the outbox.</summary>
    public const string WebhookOutboxDepth = "edge_webhook_outbox_depth";

    /// <summary>gauge: age of the oldest undelivered webhook.</summary>
    public const string WebhookOldestAgeSeconds = "edge_webhook_oldest_age_seconds";

    /// <summary>counter: webhook attempts (failed: given up after retries).</summary>
    public const string WebhookDeliveriesTotal = "edge_webhook_deliveries_total";

    /// <summary>gauge: captures waiting to be encoded to MP3.</summary>
    public const string RecordingQueueDepth = "edge_recording_queue_depth";

    /// <summary>gauge: age of the oldest capture waiting.</summary>
    public const string RecordingOldestAgeSeconds = "edge_recording_oldest_age_seconds";

    /// <summary>histogram: time to encode one call to MP3. Buckets 0.05 s … 60 s.</summary>
    public const string RecordingEncodeSeconds = "edge_recording_encode_seconds";

    /// <summary>counter: recordings finished.</summary>
    public const string RecordingsTotal = "edge_recordings_total";

    /// <summary>counter: captures opened for answered recorded calls.</summary>
    public const string RecordingCapturesTotal = "edge_recording_captures_total";

    /// <summary>counter: recording problems by stage.</summary>
    public const string RecordingFailuresTotal = "edge_recording_failures_total";

    /// <summary>counter: seconds of audio encoded.</summary>
    public const string RecordingAudioSecondsTotal = "edge_recording_audio_seconds_total";
}
