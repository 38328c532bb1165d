#!/usr/bin/env python3
"""Setting a 1,000-Marble manifest, and restarting on its state (issue 13).

Starts marblerun-coordinator-sim in a temporary directory, sets a manifest of --marbles Marbles
(10 packages; 100 per-Marble symmetric keys and 20 shared cert-ecdsa secrets that the Marbles'
files and environment use, so that the dry run renders every Marble) through the client API and
times the POST. Then stops the Coordinator (SIGTERM) and times a restart on that state, from
exec until GET /api/v2/status answers "accepting Marbles" (code 3). Baselines from the same
run: the POST of a 1-Marble manifest, and a start on an empty state directory (until code 2, "ready to accept a manifest").

Usage: bench/manifest_restart.py BUILD_DIR [--marbles 1000] [--runs 3]
Prints manifest_1000_s, manifest_1_s, restart_s, start_empty_s (medians) as key=value lines.
"""
import argparse
import base64
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, timeout=120):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout))
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    s.sendall(head.encode() + b"\r\n" + (body or b""))
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def manifest(marbles):
    packages = {f"pkg{i}": {"Debug": True} for i in range(min(10, marbles))}
    secrets = {f"k{i}": {"Type": "symmetric-key", "Size": 128} for i in range(100)}
    secrets.update({f"c{i}": {"Type": "cert-ecdsa", "Size": 256, "Shared": True,
                              "Cert": {"Subject": {"CommonName": f"service {i}"}}}
                    for i in range(20)})
    m = {}
    for i in range(marbles):
        m[f"marble{i}"] = {
            "Package": f"pkg{i % len(packages)}",
            "MaxActivations": 0,
            "Parameters": {
                "Files": {"/etc/key": f"{{{{ hex .Secrets.k{i % 100} }}}}",
                          "/etc/tls.crt": f"{{{{ pem .Secrets.c{i % 20}.Cert }}}}",
                          "/etc/tls.key": f"{{{{ pem .Secrets.c{i % 20}.Private }}}}"},
                "Env": {"ROLE": f"marble {i}", "ROOT": "{{ pem .MarbleRun.RootCA.Cert }}"},
                "Argv": ["service", f"--id={i}"],
            },
        }
    doc = {"Packages": packages, "Marbles": m, "Secrets": secrets}
    return json.dumps({"manifest": base64.b64encode(json.dumps(doc).encode()).decode()}).encode()


class Coordinator:
    def __init__(self, build_dir, seal_dir):
        self.binary = os.path.join(build_dir, "bin", "marblerun-coordinator-sim")
        self.seal_dir = seal_dir
        self.port = free_port()
        self.proc = None

    def start(self, want_state):
        """Starts the Coordinator; returns the seconds until /api/v2/status says |want_state|."""
        env = dict(os.environ, OE_SIMULATION="1", EDG_COORDINATOR_SEAL_DIR=self.seal_dir,
                   EDG_COORDINATOR_CLIENT_ADDR=f"127.0.0.1:{self.port}",
                   EDG_COORDINATOR_MESH_ADDR=f"127.0.0.1:{free_port()}")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([self.binary], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        while time.perf_counter() - t0 < 120:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Coordinator exited with {self.proc.returncode}")
            try:
                status, body = request(self.port, "GET", "/api/v2/status", timeout=5)
                if status == 200 and json.loads(body)["data"]["code"] == want_state:
                    return time.perf_counter() - t0
            except (OSError, ValueError, KeyError, IndexError):
                pass
            time.sleep(0.005)
        raise RuntimeError("the Coordinator did not reach state %d in 120 s" % want_state)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def set_manifest(c, body):
    t0 = time.perf_counter()
    status, answer = request(c.port, "POST", "/api/v2/manifest", body)
    elapsed = time.perf_counter() - t0
    if status != 200:
        raise RuntimeError(f"manifest refused ({status}): {answer[:300]!r}")
    return elapsed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build_dir")
    p.add_argument("--marbles", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    big, small = manifest(args.marbles), manifest(1)
    print(f"manifest of {args.marbles} Marbles: {len(big) / 1024:.0f} KiB request body")
    results = {"manifest_1000_s": [], "manifest_1_s": [], "restart_s": [], "start_empty_s": []}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            c = Coordinator(args.build_dir, os.path.join(tmp, "small"))
            results["start_empty_s"].append(c.start(want_state=2))
            results["manifest_1_s"].append(set_manifest(c, small))
            c.stop()
            c = Coordinator(args.build_dir, os.path.join(tmp, "big"))
            c.start(want_state=2)
            results["manifest_1000_s"].append(set_manifest(c, big))
            c.stop()
            results["restart_s"].append(c.start(want_state=3))
            c.stop()
    for key, values in results.items():
        print(f"  {key:16} " + " ".join(f"{v:.3f}" for v in values))
    for key, values in results.items():
        print(f"{key}={statistics.median(values):.3f}")
    print(f"manifest_1000_over_1={statistics.median(results['manifest_1000_s']) / statistics.median(results['manifest_1_s']):.1f}")
    print(f"restart_over_empty_start={statistics.median(results['restart_s']) / statistics.median(results['start_empty_s']):.2f}")


if __name__ == "__main__":
    sys.exit(main())
