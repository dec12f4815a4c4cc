#!/usr/bin/env python3
"""Time a proxy adds to a carrier INVITE: INVITE in (to the proxy's port) -> INVITE out (from it), from a capture.

  latency.py FIELDS PROXY_PORT   -> "n p50 p99" in microseconds (or "0 - -")

FIELDS is invites.py's '|'-separated output: time, udp source port, udp destination port, Call-ID, From user.
The edge is a B2BUA (the INVITE out has its own Call-ID), so an INVITE in and its INVITE out are paired by the
caller's number instead: compare-kamailio.sh gives every call of a step its own caller. The first copy of each
Call-ID in each direction counts (a retransmission is not a new INVITE). The capture sees a datagram when it is sent on lo, so the
time includes the wait in the proxy's receive queue, which is what a caller sees added.
"""
import sys


def pairs(path, port):
    """(time in, seconds added) of every INVITE that has its INVITE out, in arrival order."""
    first_in, first_out, seen = {}, {}, set()
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("|")
            if len(p) < 5 or not p[4]:
                continue
            t, sport, dport, call_id, caller = float(p[0]), p[1], p[2], p[3], p[4][-10:]
            inbound = dport == port
            if (call_id, inbound) in seen:
                continue
            seen.add((call_id, inbound))
            if inbound:
                first_in.setdefault(caller, t)
            elif sport == port:
                first_out.setdefault(caller, t)
    return sorted((t, first_out[c] - t) for c, t in first_in.items() if c in first_out and first_out[c] >= t)


def main(path, port):
    added = sorted(d * 1e6 for _, d in pairs(path, port))
    if not added:
        print("0 - -")
        return
    q = lambda x: added[min(len(added) - 1, int(x * len(added)))]
    print("%d %.0f %.0f" % (len(added), q(0.50), q(0.99)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
