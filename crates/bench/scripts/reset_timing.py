#!/usr/bin/env python3
"""Does a password-reset request take as long for an address with an account as for one
without? Sends requests for a known address and two unknown ones to a running server, first
in random order 2 ms apart, then back to back in strict alternation (both orders), and prints
the median (and, for the first, the 90th percentile) of each.

    CAMPUS_HTTP__CREDENTIAL_REQUESTS_PER_MINUTE=1000000 campus serve --data-dir /tmp/timing &
    # create the school `hill-valley` with the admin ada@example.org, then:
    python3 crates/bench/scripts/reset_timing.py http://127.0.0.1:8080 1500
"""
import json
import random
import statistics
import sys
import time
import urllib.request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
ADDRESSES = {
    "known": "ada@example.org",
    "unknown": "nobody@example.org",
    "unknown2": "nobody2@example.org",
}


def request(email):
    body = json.dumps({"school": "hill-valley", "email": email}).encode()
    req = urllib.request.Request(
        f"{BASE}/api/v1/auth/password-reset",
        data=body,
        headers={"content-type": "application/json"},
    )
    start = time.perf_counter()
    urllib.request.urlopen(req).read()
    return (time.perf_counter() - start) * 1000


for _ in range(50):  # warm up
    for email in ADDRESSES.values():
        request(email)
times = {kind: [] for kind in ADDRESSES}
for _ in range(COUNT):
    kind = random.choice(list(ADDRESSES))
    times[kind].append(request(ADDRESSES[kind]))
    time.sleep(0.002)
for kind, xs in times.items():
    xs.sort()
    print(f"{kind:9} n={len(xs)} median {statistics.median(xs):.3f} ms p90 {xs[int(len(xs) * 0.9)]:.3f} ms")
for order in (["unknown", "known"], ["known", "unknown"], ["unknown", "unknown2"]):
    alternating = {kind: [] for kind in order}
    for _ in range(300):
        for kind in order:
            alternating[kind].append(request(ADDRESSES[kind]))
    print(
        "back to back, " + " then ".join(order) + ": "
        + ", ".join(f"{k} {statistics.median(v):.3f} ms" for k, v in alternating.items())
    )
