#!/usr/bin/env python3
"""Writes fuzz/seeds/recording/hand-*.jsonl: a six-tick, two-strategy recording built by hand to
docs/recording-format.md, with HdrHistogram V2 blobs (1 us .. 60 s, 3 digits) encoded here. The
seeds written by the crate's own RecordingWriter come from make-seeds.sh."""
import base64, json, math, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds", "recording")


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def varint(v):
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def hdr(values):
    """V2 encoding; values below 2048 us map to their own index at 3 significant digits."""
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    top, body, i = max(values), bytearray(), 0
    while i <= top:
        c = counts.get(i, 0)
        i += 1
        if c == 0:
            zeros = 1
            while i <= top and counts.get(i, 0) == 0:
                zeros, i = zeros + 1, i + 1
            body += varint(zigzag(-zeros) if zeros > 1 else 0)
        else:
            body += varint(zigzag(c))
    head = struct.pack(">IIIIQQd", 0x1C849313, len(body), 0, 3, 1, 60_000_000, 1.0)
    return base64.b64encode(head + bytes(body)).decode()


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def strategy(i, name):
    values = [min(150 + i * 41 + k * k * 17 % 1800, 2000) for k in range(40)]
    ok = 90 + i
    latency = {"count": len(values), "max": max(values), "hdr": hdr(values)}
    for key, q in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)]:
        latency[key] = percentile(values, q)
    node = {"id": name + "/1", "up": True, "heap_bytes": 4_000_000 + i * 1000, "rss_bytes": 20_000_000,
            "cpu_seconds": 0.01 * i, "requests_total": ok * (i + 1), "sessions": 20}
    return {
        "requests": {"ok": ok, "failed": i % 3, "unauthorized": i % 3, "server_error": 0, "connection": 0},
        "latency_us": latency, "throughput_rps": (ok + i % 3) / 0.25, "logins": i % 2, "forced_relogins": 0,
        "refreshes": 0, "late": 0, "dropped": 0, "arrivals": 0, "users_logged_in": 20,
        "sessions_held": 20 if name == "session" else 0, "server_requests": ok, "nodes": [node],
        "store": {"kind": "memory", "ops": ok, "used_memory": None, "keys": None} if name == "session" else None,
        "credential_bytes_per_request": 26.0 if name == "session" else 410.0, "denylist_entries": 0,
        "revoked_users": 0, "auth_checks": ok, "auth_check_seconds": ok * 2e-6, "simulated": False,
    }


def main():
    source = open(os.path.join(HERE, "..", "scenarios", "token-size.toml")).read()
    compact = {"separators": (",", ":")}
    lines = [json.dumps({"type": "header", "format": "authlab-recording", "version": 1, "authlab_version": "0.1.0",
                         "started_at": "2026-12-01T20:00:00Z",
                         "scenario": {"name": "seed", "source": source, "origin": "scenarios/token-size.toml"},
                         "machine": {"os": "Linux", "arch": "x86_64", "cpus": 2, "memory_bytes": 8589934592,
                                     "cpu_brand": "Seed CPU", "hostname": "seed"}}, **compact)]
    for i in range(6):
        ticks = {"session": strategy(i, "session"), "token": strategy(i, "token")}
        lines.append(json.dumps({"type": "tick", "t": 0.25 * (i + 1), "interval_s": 0.25, "strategies": ticks},
                                **compact))
        if i == 2:
            lines.append(json.dumps({"type": "event", "t": 0.7, "action": "kill_node", "target": "session/1",
                                     "source": "scheduled", "detail": "node session/1 killed", "ok": True},
                                    **compact))
    text = "\n".join(lines) + "\n"
    os.makedirs(OUT, exist_ok=True)
    open(os.path.join(OUT, "hand-run.jsonl"), "w").write(text)
    open(os.path.join(OUT, "hand-truncated.jsonl"), "w").write(text[:-40])


if __name__ == "__main__":
    main()
