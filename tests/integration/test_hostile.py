# SPDX-License-Identifier: MIT
"""Hostile clients against a running ksm_exporter.

The exporter is the one on 127.0.0.1 at --exporter-port, with process id
--exporter-pid (exporter_hostile.sh starts it).  Broken requests (a
scripted corpus), huge headers, unknown methods, 2,000 concurrent
connections and 500 slow clients from many loopback addresses; after each
attack a normal scrape must be answered at once and the process must be
alive.  The tests run in file order, and each recovery test relies on the
attack before it.
"""
import asyncio
import collections
import os
import resource
import socket
import time
from dataclasses import dataclass

import pytest

# A GET's request line and Host, for the requests that differ only after them.
GET_HOST = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
GET = GET_HOST + b"\r\n"
HUGE_HEADER = b"GET /metrics HTTP/1.1\r\nX-Big: " + b"b" * 200000 + b"\r\n\r\n"
BREW = b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n"

# Broken requests, by test id.
CORPUS = {
    "blank-lines": b"\r\n\r\n",
    "garbage-line": b"GARBAGE\r\n\r\n",
    "method-only": b"GET\r\n\r\n",
    "no-version": b"GET /metrics\r\n\r\n",
    "http-9.9": b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n",
    "no-host": b"GET /metrics HTTP/1.1\r\n\r\n",
    "relative-path": b"GET metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "content-length-negative": GET_HOST + b"Content-Length: -1\r\n\r\n",
    "content-length-huge":
        GET_HOST + b"Content-Length: 99999999999999999999\r\n\r\n",
    "chunked-garbage": GET_HOST + b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\n",
    "post-with-body":
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    "header-without-colon": GET_HOST + b"no colon here\r\n\r\n",
    "header-empty-name": GET_HOST + b": empty name\r\n\r\n",
    "accept-huge": GET_HOST + b"Accept: " + b"a/b;q=0." * 500 + b"\r\n\r\n",
    "accept-encoding-bad-q":
        GET_HOST + b"Accept-Encoding: " + b"gzip;q=x," * 300 + b"\r\n\r\n",
    "basic-auth-bad-base64": GET_HOST + b"Authorization: Basic !!!!\r\n\r\n",
    "control-chars-in-path": b"GET /\x00\x01\x02 HTTP/1.1\r\nHost: x\r\n\r\n",
    "percent-nul-in-path": b"GET /%00%ff HTTP/1.1\r\nHost: x\r\n\r\n",
    "path-100k": b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "header-200k": HUGE_HEADER,
    "headers-2000": b"GET /metrics HTTP/1.1\r\n"
    + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 100) for i in range(2000))
    + b"\r\n",
    "pipelined-200": GET * 200,
    "bytes-0-255": bytes(range(256)) * 20,
    "bytes-ff-fe-fd": b"\xff\xfe\xfd" * 1000,
    "lf-only": b"GET /metrics HTTP/1.1\nHost: x\n\n",
    "cr-only": b"GET /metrics HTTP/1.1\rHost: x\r\r",
    "http2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "tls-client-hello":
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 500,
    "method-brew": BREW,
    "method-delete": b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "options-star": b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    "method-connect": b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n",
    "method-trace": b"TRACE /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "head-http-1.0": b"HEAD /metrics HTTP/1.0\r\n\r\n",
    "keep-alive-http-1.0":
        b"GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
}


def status_of(answer):
    """The status code of a raw HTTP answer, or "closed" for anything else."""
    if answer.startswith(b"HTTP/") and b" " in answer:
        return answer.split(b" ", 2)[1].decode(errors="replace")
    return "closed"


def receive(sock, limit=None):
    """What SOCK receives until the peer closes, or until LIMIT bytes."""
    out = b""
    while limit is None or len(out) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        out += chunk
    return out


@dataclass
class Exporter:
    port: int
    pid: int

    def alive(self):
        try:
            os.kill(self.pid, 0)
            return True
        except OSError:
            return False

    def scrape(self, timeout=5.0):
        """A normal scrape: (status, seconds) or (None, seconds).

        The status is -1 for a 200 whose body lacks ksm_up.
        """
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", self.port),
                                          timeout=timeout) as s:
                s.sendall(GET_HOST + b"Connection: close\r\n\r\n")
                data = receive(s)
            status = None
            if data.startswith(b"HTTP/"):
                status = int(data.split(b" ", 2)[1])
            if status == 200 and b"\nksm_up " not in data:
                status = -1
            return status, time.monotonic() - t0
        except (OSError, ValueError, IndexError):
            return None, time.monotonic() - t0

    def send_raw(self, data, timeout=2.0):
        """Sends DATA, half-closes, and returns up to 1 MiB of the answer."""
        try:
            with socket.create_connection(("127.0.0.1", self.port),
                                          timeout=timeout) as s:
                s.sendall(data)
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return receive(s, 1 << 20)
        except OSError:
            return b""

    def assert_serves(self, after):
        """Fails unless the exporter is alive and answers a normal scrape
        with a 200 within 2 s, AFTER an attack."""
        status, secs = self.scrape()
        assert self.alive(), "the exporter died after " + after
        assert status == 200, \
            "after %s a normal scrape got %s, not 200" % (after, status)
        assert secs < 2.0, \
            "after %s a normal scrape took %.2f s, not < 2 s" % (after, secs)


@pytest.fixture(scope="module")
def exporter(live_option):
    port, pid = live_option("exporter_port", "exporter_pid")
    return Exporter(port, pid)


async def hold(port, addr, payload, hold_s, drip=None):
    """One connection from addr: send payload, keep it open; what happened."""
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", port, local_addr=(addr, 0)), 5)
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
    """N loopback source addresses, PER connections from each."""
    return ["127.0.%d.%d" % (2 + i // (per * 250), 2 + (i // per) % 250)
            for i in range(n)]


async def flood(exporter, n, per, payload, hold_s, drip=None, probe=False):
    """N connections at once; with PROBE, normal scrapes meanwhile.

    Returns a Counter of what happened to the connections and the
    (status, seconds) of each probe.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (max(soft, min(hard, 8192)), hard))
    tasks = [asyncio.create_task(hold(exporter.port, a, payload, hold_s, drip))
             for a in addrs(n, per)]
    probes = []
    if probe:
        # Normal scrapes from 127.0.0.1 while the attack goes on.
        await asyncio.sleep(1.0)
        loop = asyncio.get_running_loop()
        for _ in range(5):
            probes.append(await loop.run_in_executor(None, exporter.scrape,
                                                     3.0))
            await asyncio.sleep(0.5)
    return collections.Counter(await asyncio.gather(*tasks)), probes


def test_scrape_before_anything(exporter):
    status, _ = exporter.scrape()
    assert status == 200, "a normal scrape got %s, not 200" % status


@pytest.fixture(scope="module")
def corpus_answers(figure):
    answers = collections.Counter()
    yield answers
    figure("corpus: %d broken requests, answers %s"
           % (len(CORPUS), dict(answers)))


@pytest.mark.parametrize("raw", CORPUS.values(), ids=CORPUS.keys())
def test_broken_request(exporter, corpus_answers, raw):
    out = exporter.send_raw(raw)
    corpus_answers[status_of(out)] += 1
    assert exporter.alive(), "the exporter died"
    assert not out or out.startswith(b"HTTP/1."), \
        "an answer that is not HTTP/1.x: %r" % out[:40]


def test_unknown_method_gets_405_with_allow(exporter):
    out = exporter.send_raw(BREW)
    assert (out.startswith(b"HTTP/1.1 405")
            and b"\r\nAllow: GET, HEAD" in out), \
        "an unknown method got %r" % out[:200]


def test_huge_header_refused(exporter):
    out = exporter.send_raw(HUGE_HEADER)
    assert out == b"" or status_of(out) in ("431", "413", "400"), \
        "a huge header got %r" % out[:40]


def test_serves_after_broken_requests(exporter):
    exporter.assert_serves("broken requests")


@pytest.fixture(scope="module")
def concurrent(exporter, figure):
    counts, _ = asyncio.run(flood(exporter, 2000, 8, GET, 3.0))
    figure("2000 concurrent connections (8 per address): %s" % dict(counts))
    return counts


def test_concurrent_connections_answered(concurrent):
    assert concurrent["answered"] >= 400, \
        "2000 concurrent connections: %d answered, not hundreds" \
        % concurrent["answered"]


def test_serves_after_concurrent_connections(exporter, concurrent):
    exporter.assert_serves("2000 concurrent connections")


@pytest.fixture(scope="module")
def slow_clients(exporter, figure):
    counts, probes = asyncio.run(flood(
        exporter, 500, 5, GET_HOST, 6.0,
        drip=b"X-a: b\r\n", probe=True))
    good = sum(1 for status, _ in probes if status == 200)
    figure("500 slow clients (5 per address, a header line a second): %s; "
           "normal scrapes during the attack: %d of %d answered, in %s s"
           % (dict(counts), good, len(probes),
              ", ".join("%.3f" % t for _, t in probes)))
    return counts, probes


def test_slow_clients_held(slow_clients):
    counts, _ = slow_clients
    assert counts["held"] + counts["closed"] >= 450, \
        "the slow clients were not held: %s" % dict(counts)


def test_scrapes_answered_during_slow_clients(slow_clients):
    _, probes = slow_clients
    assert all(status == 200 for status, _ in probes), \
        "normal scrapes during the slow-client attack got %s" \
        % [status for status, _ in probes]


def test_serves_after_slow_clients(exporter, slow_clients):
    exporter.assert_serves("500 slow clients")
