#!/usr/bin/env python3
"""The edge's runtime cost per call in each step of a compare-kamailio.sh run, from its /metrics before and after.

    deploy/bench/runtime.py RUN_DIR

Prints a Markdown table: calls routed in the step, managed bytes allocated per call, GC collections (as
GC.CollectionCount counts them: a gen1 collection also counts as one of gen0) and the GC pause time of the step, thread-pool work items per call (each a possible thread wake-up), lock contentions, and two parts
of an INVITE's time in the edge: the attribution's Redis round trip (edge_redis_operation_seconds, operation
"resolve") and a datagram's wait in the receive queue (edge_sip_receive_queue_seconds), as p50 / p99 in ms
interpolated within histogram buckets as Prometheus's histogram_quantile does.
"""
import glob
import os
import sys


def load(path):
    values = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, _, value = line.rstrip("\n").rpartition(" ")
            try:
                values[key] = float(value)
            except ValueError:
                pass
    return values


def calls(values):
    return sum(v for k, v in values.items() if k.startswith("edge_calls_total{"))


def quantile(a, b, prefix, q):
    """q-quantile in ms of the histogram whose bucket keys start with prefix, over the step (after minus before)."""
    buckets = []
    for key, value in b.items():
        if key.startswith(prefix) and 'le="' in key:
            bound = key.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if bound == "+Inf" else float(bound), value - a.get(key, 0)))
    buckets.sort()
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank, lower, below = q * buckets[-1][1], 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return float("inf")
            return (lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 1)) * 1e3
        lower, below = bound, count
    return None


def pair(a, b, prefix):
    p50, p99 = quantile(a, b, prefix, 0.50), quantile(a, b, prefix, 0.99)
    show = lambda v: "beyond the last bucket" if v == float("inf") else "%.2f" % v
    return "-" if p50 is None else "%s / %s" % (show(p50), show(p99))


def main(run):
    print("| step | calls | KB allocated per call | GCs of gen ≥ 0 / ≥ 1 / 2 | GC pause s | thread-pool items per call | lock contentions per call | attribution round trip ms p50 / p99 | receive queue ms p50 / p99 |")
    print("|---|---:|---:|---|---:|---:|---:|---|---|")
    steps = sorted(glob.glob(os.path.join(run, "edge-*")), key=lambda p: int(p.rsplit("-", 1)[1]) if p.rsplit("-", 1)[1].isdigit() else 0)
    for step in steps:
        before, after = os.path.join(step, "metrics-before.txt"), os.path.join(step, "metrics-after.txt")
        if not (os.path.exists(before) and os.path.exists(after)):
            continue
        a, b = load(before), load(after)
        n = calls(b) - calls(a)
        if n <= 0:
            continue
        d = lambda k: b.get(k, 0) - a.get(k, 0)
        gcs = "/".join(str(int(d('dotnet_gc_collections_total{generation="gen%d"}' % g))) for g in range(3))
        print("| %s | %d | %.1f | %s | %.2f | %.2f | %.3f | %s | %s |" % (
            os.path.basename(step), n, d("dotnet_gc_allocated_bytes_total") / n / 1024, gcs,
            d("dotnet_gc_pause_seconds_total"), d("dotnet_threadpool_completed_items_total") / n,
            d("dotnet_monitor_lock_contention_total") / n,
            pair(a, b, 'edge_redis_operation_seconds_bucket{operation="resolve",'),
            pair(a, b, "edge_sip_receive_queue_seconds_bucket{")))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
