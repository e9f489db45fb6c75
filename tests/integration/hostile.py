#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile clients against a running ksm_exporter on 127.0.0.1:PORT.

Usage: hostile.py PORT PID
Broken requests (a scripted corpus), huge headers, unknown methods, 2,000
concurrent connections and 500 slow clients from many loopback addresses;
after each, a normal scrape must be answered at once and the process must
be alive.  Prints figures and "N passed, N failed" last.
"""
import asyncio
import os
import resource
import socket
import sys
import time

PORT = int(sys.argv[1])
PID = int(sys.argv[2])
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def alive():
    try:
        os.kill(PID, 0)
        return True
    except OSError:
        return False


def scrape(timeout=5.0, source="127.0.0.1"):
    """A normal scrape: (status, seconds) or (None, seconds)."""
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=timeout,
                                      source_address=(source, 0)) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else None
        if status == 200 and b"\nksm_up " not in data:
            status = -1
        return status, time.monotonic() - t0
    except (OSError, ValueError, IndexError):
        return None, time.monotonic() - t0


def after(what):
    status, secs = scrape()
    ok(alive(), what + ": the exporter is alive")
    ok(status == 200, "%s: a normal scrape afterwards (got %s)" % (what, status))
    ok(secs < 2.0, "%s: answered within 2 s (%.2f s)" % (what, secs))


def send_raw(data, timeout=2.0):
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=timeout) as s:
            s.sendall(data)
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            out = b""
            while len(out) < 1 << 20:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
            return out
    except OSError:
        return b""


CORPUS = [
    b"\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /metrics\r\n\r\n",
    b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\n\r\n",
    b"GET metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: " + b"a/b;q=0." * 500 + b"\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: " + b"gzip;q=x," * 300 + b"\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!!\r\n\r\n",
    b"GET /\x00\x01\x02 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /%00%ff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\n" + b"X-Big: " + b"b" * 200000 + b"\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 100) for i in range(2000)) + b"\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 200,
    bytes(range(256)) * 20,
    b"\xff\xfe\xfd" * 1000,
    b"GET /metrics HTTP/1.1\nHost: x\n\n",
    b"GET /metrics HTTP/1.1\rHost: x\r\r",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 500,
    b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"TRACE /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    b"HEAD /metrics HTTP/1.0\r\n\r\n",
    b"GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
]


def corpus():
    statuses = {}
    for i, req in enumerate(CORPUS):
        out = send_raw(req)
        code = out.split(b" ", 2)[1].decode(errors="replace") if out.startswith(b"HTTP/") and b" " in out else "closed"
        statuses[code] = statuses.get(code, 0) + 1
        ok(alive(), "corpus request %d: the exporter is alive" % i)
        if not out.startswith(b"HTTP/1.") and out:
            ok(False, "corpus request %d: an answer that is not HTTP/1.x" % i)
    # Unknown methods are answered 405 with Allow.
    out = send_raw(b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    ok(out.startswith(b"HTTP/1.1 405") and b"\r\nAllow: GET, HEAD" in out,
       "an unknown method gets 405 with Allow")
    out = send_raw(b"GET /metrics HTTP/1.1\r\n" + b"X-Big: " + b"b" * 200000 + b"\r\n\r\n")
    ok(out == b"" or out.split(b" ", 2)[1] in (b"431", b"413", b"400"),
       "a huge header is refused")
    print("corpus: %d broken requests, answers %s" % (len(CORPUS), statuses))
    after("broken requests")


async def hold(addr, payload, hold_s, drip=None):
    """One connection from addr: send payload, keep it open; count answers."""
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", PORT, local_addr=(addr, 0)), 5)
    except (OSError, asyncio.TimeoutError):
        return "refused"
    try:
        w.write(payload)
        await w.drain()
        end = time.monotonic() + hold_s
        while time.monotonic() < end:
            if drip:
                w.write(drip)
                await w.drain()
            try:
                data = await asyncio.wait_for(r.read(1), 1.0)
                if not data:
                    return "closed"
                return "answered"
            except asyncio.TimeoutError:
                pass
        return "held"
    except OSError:
        return "closed"
    finally:
        w.close()


def addrs(n, per):
    return ["127.0.%d.%d" % (2 + i // (per * 250), 2 + (i // per) % 250)
            for i in range(n)]


async def flood(n, per, payload, hold_s, drip=None, probe=False):
    tasks = [asyncio.create_task(hold(a, payload, hold_s, drip))
             for a in addrs(n, per)]
    probes = []
    if probe:
        # Normal scrapes from 127.0.0.1 while the attack goes on.
        await asyncio.sleep(1.0)
        loop = asyncio.get_running_loop()
        for _ in range(5):
            probes.append(await loop.run_in_executor(None, scrape, 3.0))
            await asyncio.sleep(0.5)
    results = await asyncio.gather(*tasks)
    counts = {}
    for res in results:
        counts[res] = counts.get(res, 0) + 1
    return counts, probes


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    ok(scrape()[0] == 200, "a normal scrape before anything")
    corpus()

    counts, _ = asyncio.run(flood(
        2000, 8, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 3.0))
    print("2000 concurrent connections (8 per address): %s" % counts)
    ok(counts.get("answered", 0) >= 400,
       "2000 concurrent connections: hundreds answered (%d)" % counts.get("answered", 0))
    after("2000 concurrent connections")

    counts, probes = asyncio.run(flood(
        500, 5, b"GET /metrics HTTP/1.1\r\nHost: x\r\n", 6.0, drip=b"X-a: b\r\n",
        probe=True))
    good = sum(1 for status, _ in probes if status == 200)
    print("500 slow clients (5 per address, a header line a second): %s; "
          "normal scrapes during the attack: %d of %d answered, in %s s"
          % (counts, good, len(probes),
             ", ".join("%.3f" % t for _, t in probes)))
    ok(counts.get("held", 0) + counts.get("closed", 0) >= 450,
       "the slow clients were held, not answered")
    ok(good == len(probes), "every normal scrape during the slow-client attack answered")
    after("500 slow clients")
    print("hostile: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
