#!/usr/bin/env python3
"""The INVITEs of a capture, as latency.py reads them: one line per INVITE datagram,
'time|udp source port|udp destination port|Call-ID|From user'.

  invites.py CAPTURE.pcapng > invites.txt

Reads the pcapng that compare-kamailio.sh's dumpcap writes (loopback, IPv4/UDP, INVITEs only) itself: tshark's SIP
dissector takes minutes for a 30 s step at 1,000 calls/s on two cores, this takes seconds, so a step can be captured
whole. Packets that are not IPv4/UDP or not an INVITE are skipped.
"""
import re
import struct
import sys

CALL_ID = re.compile(rb"^(?:call-id|i)[ \t]*:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
FROM = re.compile(rb"^(?:from|f)[ \t]*:[^\r\n]*?sips?:([^@;>\s]+)@", re.IGNORECASE | re.MULTILINE)
LINK_HEADER = {0: 4, 1: 14, 113: 16, 276: 20}  # null/loopback, Ethernet, Linux cooked v1 and v2


def packets(data):
    """(seconds, frame bytes, link type) for each Enhanced or Simple Packet Block."""
    pos, endian, interfaces = 0, "<", []
    while pos + 12 <= len(data):
        btype = struct.unpack_from(endian + "I", data, pos)[0]
        if btype == 0x0A0D0D0A:  # section header: its byte order holds for the section
            endian = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            interfaces = []
        blen = struct.unpack_from(endian + "I", data, pos + 4)[0]
        if blen < 12 or pos + blen > len(data):
            break
        body = data[pos + 8:pos + blen - 4]
        if btype == 1:  # interface description: link type, and the timestamp resolution option (code 9)
            link = struct.unpack_from(endian + "H", body, 0)[0]
            resolution, opt = 1e-6, 8
            while opt + 4 <= len(body):
                code, olen = struct.unpack_from(endian + "HH", body, opt)
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    r = body[opt + 4]
                    resolution = 2.0 ** -(r & 0x7F) if r & 0x80 else 10.0 ** -r
                opt += 4 + ((olen + 3) & ~3)
            interfaces.append((link, resolution))
        elif btype == 6 and len(body) >= 20:
            iface, hi, lo, caplen = struct.unpack_from(endian + "IIII", body, 0)
            link, resolution = interfaces[iface] if iface < len(interfaces) else (1, 1e-6)
            yield ((hi << 32) | lo) * resolution, body[20:20 + caplen], link
        pos += blen


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    out = sys.stdout
    for t, frame, link in packets(data):
        ip = LINK_HEADER.get(link)
        if ip is None or len(frame) < ip + 28 or frame[ip] >> 4 != 4 or frame[ip + 9] != 17:
            continue
        udp = ip + (frame[ip] & 0x0F) * 4
        sport, dport = struct.unpack_from(">HH", frame, udp)
        payload = frame[udp + 8:]
        if not payload.startswith(b"INVITE "):
            continue
        head = payload.split(b"\r\n\r\n", 1)[0]
        call_id, caller = CALL_ID.search(head), FROM.search(head)
        out.write("%.6f|%d|%d|%s|%s\n" % (t, sport, dport, call_id.group(1).decode("ascii", "replace") if call_id else "",
                                          caller.group(1).decode("ascii", "replace") if caller else ""))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
