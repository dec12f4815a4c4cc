#!/usr/bin/env python3
"""The edge's runtime cost per call in each step of a compare-kamailio.sh run, from its /metrics before and after.

    deploy/bench/runtime.py RUN_DIR

Prints a Markdown table: calls routed in the step, managed bytes allocated per call, GC collections (as
GC.CollectionCount counts them: a gen1 collection also counts as one of gen0) and the GC pause time of the step, thread-pool work items per call (each a possible thread wake-up), lock contentions.
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


def main(run):
    print("| step | calls | KB allocated per call | GCs of gen ≥ 0 / ≥ 1 / 2 | GC pause s | thread-pool items per call | lock contentions per call |")
    print("|---|---:|---:|---|---:|---:|---:|")
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
        print("| %s | %d | %.1f | %s | %.2f | %.2f | %.3f |" % (
            os.path.basename(step), n, d("dotnet_gc_allocated_bytes_total") / n / 1024, gcs,
            d("dotnet_gc_pause_seconds_total"), d("dotnet_threadpool_completed_items_total") / n,
            d("dotnet_monitor_lock_contention_total") / n))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
