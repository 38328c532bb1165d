#!/usr/bin/env python3
"""Client API under idle and slow clients (issue 12).

Starts marblerun-coordinator-sim in a temporary directory, opens IDLE plain TCP connections
that never send a TLS ClientHello and SLOW TLS clients that send one header byte every 5 s,
then measures GET /api/v2/status latency (new TLS connection per request, as a CLI would)
and the Coordinator's RSS meanwhile.

Usage: bench/rest_slow_clients.py BUILD_DIR [--idle 1000] [--slow 200] [--requests 200]
Targets: p99 < 100 ms, RSS < 100 MB.
"""
import argparse
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
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


def connect(port, ctx=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--requests", type=int, default=200)
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
            baseline = sorted(status_once(port, ctx) for _ in range(args.requests))
            idle = [connect(port) for _ in range(args.idle)]
            slow = []
            for _ in range(args.slow):
                c = connect(port, ctx)
                c.sendall(b"G")
                slow.append(c)
            stop = threading.Event()

            def trickle():  # one more header byte per slow client every 5 s
                i = 0
                while not stop.wait(5):
                    for c in slow:
                        try:
                            c.sendall(b"ET /api/v2/status HTTP/1.1\r\nX: "[i % 30:i % 30 + 1])
                        except OSError:
                            pass
                    i += 1

            threading.Thread(target=trickle, daemon=True).start()
            lat = sorted(status_once(port, ctx) for _ in range(args.requests))
            peak = rss_kib(coord.pid)
            stop.set()
            alive = 0
            for s in idle:
                s.setblocking(False)
                try:
                    alive += 0 if s.recv(1) == b"" else 1
                except BlockingIOError:
                    alive += 1
                except OSError:
                    pass
            def p(values, q):
                return values[min(len(values) - 1, int(q * len(values)))] * 1000

            print(f"idle={args.idle} (still open: {alive}) slow={args.slow} requests={len(lat)}")
            print(f"status latency ms, no other clients: p50 {p(baseline, 0.5):.1f}"
                  f" p99 {p(baseline, 0.99):.1f}")
            print(f"status latency ms, with the clients open: p50 {p(lat, 0.5):.1f}"
                  f" p99 {p(lat, 0.99):.1f} max {lat[-1] * 1000:.1f} (target p99 < 100)")
            print(f"coordinator RSS: {base / 1024:.1f} MiB before, {peak / 1024:.1f} MiB with the"
                  f" clients open (target < 100)")
            print(f"rest_status_p50_ms={p(lat, 0.5):.2f}")
            print(f"rest_status_p99_ms={p(lat, 0.99):.2f}")
            print(f"rest_status_p99_ratio_to_baseline={p(lat, 0.99) / p(baseline, 0.99):.2f}")
            print(f"rest_rss_mb={peak / 1024:.1f}")
            ok = p(lat, 0.99) < 100 and peak < 100 * 1024
            return 0 if ok else 1
        finally:
            coord.terminate()
            coord.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
