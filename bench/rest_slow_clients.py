#!/usr/bin/env python3
"""Client API under idle and slow clients (issue 12).

Starts marblerun-coordinator-sim in a temporary directory and measures GET /api/v2/status
latency (a new TLS connection per request, as a CLI would; from 127.0.0.1, one request every
--interval seconds) first with no other client (the baseline, same run), then for --duration
seconds while an attacker process keeps IDLE plain TCP connections that never send a TLS
ClientHello and SLOW TLS clients that send one header byte every 5 s open: whatever the
Coordinator closes (at its deadlines) is reopened at once, so the counts hold for the whole
window. The attacker's connections come from 127.0.0.2-127.0.0.4 (at most 500 per address), as
an attack from a few machines would; the per-address cap (1,024) does not cut them. The
Coordinator's RSS is sampled throughout (peak reported).

Usage: bench/rest_slow_clients.py BUILD_DIR [--idle 1000] [--slow 200] [--duration 30]
Targets: p99 < 100 ms, RSS < 100 MB.
"""
import argparse
import multiprocessing
import os
import resource
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import time

SLOW_BYTES = b"GET /api/v2/status HTTP/1.1\r\nX-Slow: " + b"a" * 64


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(port, ctx=None, source="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return ctx.wrap_socket(s) if ctx else s


def status_once(port, ctx):
    t0 = time.perf_counter()
    s = connect(port, ctx)
    s.sendall(b"GET /api/v2/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {data[:60]!r}")
    return time.perf_counter() - t0


def readable(socks):
    """The sockets of |socks| with data, EOF or an error pending (poll: more than 1,024 fds)."""
    poller = select.poll()
    by_fd = {}
    for s in socks:
        poller.register(s, select.POLLIN | select.POLLERR | select.POLLHUP)
        by_fd[s.fileno()] = s
    return {by_fd[fd] for fd, _ in poller.poll(0)}


def closed(sock):
    """True if the server closed |sock| (EOF or reset); |sock| is readable."""
    try:
        sock.setblocking(False)
        data = sock.recv(4096)
        sock.setblocking(True)
        return data == b""
    except ssl.SSLWantReadError:
        sock.setblocking(True)
        return False
    except OSError:
        return True


def attacker(port, n_idle, n_slow, ready, stop, out):
    """Keeps n_idle idle TCP and n_slow slow-header TLS connections open until |stop|."""
    ctx = tls_context()
    sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    idle = [connect(port, source=sources[i // 500 % 2]) for i in range(n_idle)]
    slow = []  # [socket, bytes sent]
    for _ in range(n_slow):
        c = connect(port, ctx, source=sources[2])
        c.sendall(SLOW_BYTES[:1])
        slow.append([c, 1])
    ready.set()
    reopened_idle = reopened_slow = 0
    next_byte = time.monotonic() + 5
    while not stop.wait(0.2):
        # Whatever the server closed comes back at once.
        for s in readable(idle):
            if closed(s):
                i = idle.index(s)
                s.close()
                idle[i] = connect(port, source=sources[i // 500 % 2])
                reopened_idle += 1
        r = readable([c[0] for c in slow])
        for c in slow:
            if c[0] in r and closed(c[0]):
                c[0].close()
                c[0] = connect(port, ctx, source=sources[2])
                c[0].sendall(SLOW_BYTES[:1])
                c[1] = 1
                reopened_slow += 1
        if time.monotonic() >= next_byte:  # one more header byte per slow client every 5 s
            next_byte += 5
            for c in slow:
                try:
                    c[0].sendall(SLOW_BYTES[c[1] % len(SLOW_BYTES):][:1])
                    c[1] += 1
                except OSError:
                    pass
    out.put((len(idle), len(slow), reopened_idle, reopened_slow))


def measure(port, ctx, duration, interval):
    lat = []
    end = time.monotonic() + duration
    while time.monotonic() < end:
        t = time.monotonic()
        lat.append(status_once(port, ctx))
        time.sleep(max(0.0, interval - (time.monotonic() - t)))
    return sorted(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--duration", type=float, default=30, help="seconds under attack")
    ap.add_argument("--baseline", type=float, default=10, help="seconds of the baseline")
    ap.add_argument("--interval", type=float, default=0.05, help="seconds between requests")
    args = ap.parse_args()
    # 1,200 sockets need more than the common soft limit of 1,024 descriptors (as Go does).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, OE_SIMULATION="1", EDG_COORDINATOR_SEAL_DIR=tmp,
                   EDG_COORDINATOR_CLIENT_ADDR=f"127.0.0.1:{port}",
                   EDG_COORDINATOR_MESH_ADDR=f"127.0.0.1:{free_port()}")
        coord = subprocess.Popen([os.path.join(args.build_dir, "bin", "marblerun-coordinator-sim")],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc = None
        try:
            ctx = tls_context()
            for _ in range(100):
                try:
                    status_once(port, ctx)
                    break
                except OSError:
                    time.sleep(0.1)
            base = rss_kib(coord.pid)
            # Baseline in the same run: the same requests with no other client connected.
            baseline = measure(port, ctx, args.baseline, args.interval)
            ready, stop = multiprocessing.Event(), multiprocessing.Event()
            out = multiprocessing.Queue()
            proc = multiprocessing.Process(target=attacker,
                                           args=(port, args.idle, args.slow, ready, stop, out))
            proc.start()
            if not ready.wait(120):
                raise RuntimeError("the attacker could not open its connections")
            peak = rss_kib(coord.pid)
            lat = []
            end = time.monotonic() + args.duration
            while time.monotonic() < end:  # in slices, sampling RSS in between
                lat += measure(port, ctx, min(1.0, end - time.monotonic()), args.interval)
                peak = max(peak, rss_kib(coord.pid))
            lat.sort()
            stop.set()
            n_idle, n_slow, re_idle, re_slow = out.get(timeout=60)
            proc.join(timeout=60)
            hwm = rss_kib(coord.pid, "VmHWM")

            def p(values, q):
                return values[min(len(values) - 1, int(q * len(values)))] * 1000

            print(f"held open for {args.duration:.0f} s: {n_idle} idle, {n_slow} slow (reopened after"
                  f" the Coordinator closed them: {re_idle} idle, {re_slow} slow)")
            print(f"status latency ms, no other clients ({len(baseline)} requests):"
                  f" p50 {p(baseline, 0.5):.1f} p99 {p(baseline, 0.99):.1f}")
            print(f"status latency ms, under attack ({len(lat)} requests): p50 {p(lat, 0.5):.1f}"
                  f" p99 {p(lat, 0.99):.1f} max {lat[-1] * 1000:.1f} (target p99 < 100)")
            print(f"coordinator RSS: {base / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB under"
                  f" attack, VmHWM {hwm / 1024:.1f} MiB (target < 100)")
            print(f"rest_status_baseline_p99_ms={p(baseline, 0.99):.2f}")
            print(f"rest_status_p50_ms={p(lat, 0.5):.2f}")
            print(f"rest_status_p99_ms={p(lat, 0.99):.2f}")
            print(f"rest_status_p99_ratio_to_baseline={p(lat, 0.99) / p(baseline, 0.99):.2f}")
            print(f"rest_rss_mb={peak / 1024:.1f}")
            ok = p(lat, 0.99) < 100 and peak < 100 * 1024
            return 0 if ok else 1
        finally:
            if proc is not None and proc.is_alive():
                proc.terminate()
            coord.terminate()
            coord.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
