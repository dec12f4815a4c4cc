#!/usr/bin/env python3
"""How much of an INVITE's tail the edge's GC pauses explain: a step's capture beside the pauses the gc-events
startup hook logged (deploy/bench/gc-events) during it.

    deploy/bench/gc-overlap.py INVITES_TXT EDGE_PORT GC_LOG [THRESHOLD_MS]

INVITES_TXT is invites.py's output for the step (compare-kamailio.sh leaves it in the step's folder), EDGE_PORT the
edge's SIP port, GC_LOG the hook's gc-<pid>.log. Prints how many INVITEs took longer than the threshold (2 ms by
default), how many of those were in the edge while a pause was (their span from INVITE in to INVITE out overlaps
it), the pauses' share of the captured time, and the slow INVITEs' runs (consecutive ones less than 20 ms apart).
With a log that has the promoted bytes (columns 5 and 6), also what the collections kept of the young generation per
second and the median pause of gen0 and gen1 collections: what a pause's length follows is what survives it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latency import pairs  # noqa: E402


def main(invites, port, gc_log, threshold_ms=2.0):
    added = pairs(invites, port)
    if not added:
        sys.exit("no INVITE pairs in " + invites)
    pauses = []
    promoted = []  # (generation, pause s, bytes promoted out of gen0)
    with open(gc_log) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 2:
                pauses.append((float(fields[0]), float(fields[1])))
            if len(fields) >= 6:
                promoted.append((float(fields[0]), int(fields[2]), float(fields[1]) - float(fields[0]), int(fields[4])))
    first, last = added[0][0], added[-1][0]
    pauses = sorted(p for p in pauses if p[1] >= first and p[0] <= last)
    promoted = [p[1:] for p in promoted if first <= p[0] <= last]
    slow = [(t, d) for t, d in added if d * 1e3 > threshold_ms]
    overlapping = 0
    j = 0
    for t, d in slow:
        while j < len(pauses) and pauses[j][1] < t:
            j += 1
        if j < len(pauses) and pauses[j][0] <= t + d:
            overlapping += 1
    paused = sum(min(e, last) - max(s, first) for s, e in pauses)
    runs = []
    for t, _ in slow:
        if runs and t - runs[-1][1] < 0.020:
            runs[-1] = (runs[-1][0], t, runs[-1][2] + 1)
        else:
            runs.append((t, t, 1))
    sizes = sorted(r[2] for r in runs)
    print("%d INVITEs over %.1f s; %d took more than %g ms, %d of them (%.0f %%) while a GC pause was on" % (
        len(added), last - first, len(slow), threshold_ms, overlapping, 100.0 * overlapping / len(slow) if slow else 0))
    print("%d pauses, %.0f ms in all (%.1f %% of the time)" % (len(pauses), paused * 1e3, 100.0 * paused / (last - first)))
    if runs:
        print("%d runs of slow INVITEs; largest %s; median %d" % (len(runs), sizes[-5:], sizes[len(sizes) // 2]))
    if promoted:
        def median(values):
            values = sorted(values)
            return values[len(values) // 2] if values else 0
        kept = sum(p[2] for p in promoted if p[2] > 0)
        print("promoted out of gen0: %.2f MB/s; median pause gen0 %.1f ms (%d), gen1 %.1f ms (%d)" % (
            kept / 1e6 / (last - first),
            median([p[1] * 1e3 for p in promoted if p[0] == 0]), sum(1 for p in promoted if p[0] == 0),
            median([p[1] * 1e3 for p in promoted if p[0] == 1]), sum(1 for p in promoted if p[0] == 1)))


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) == 5 else 2.0)
