#!/usr/bin/env python3
"""Resident memory of a release `cooperage serve`: idle on a fresh SQLite with the default
config, then after N signed inbox activities (default 40,000) and once idle again.

    cargo build --release --bin cooperage
    python3 benches/rss.py [--bin target/release/cooperage] [--activities 40000]

Needs Python's `cryptography` (RSA signing). A small actor server on loopback plays the remote
peer: it serves its actor document (with its public key) and signs draft-cavage POSTs of
`Create{Note}` addressed to the coop (so each is verified, recorded and stored). Prints RSS
figures (`ps -o rss= -p PID`, in MB) and the inbox rate.
"""

import argparse
import base64
import hashlib
import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024


def settle(pid, seconds):
    """RSS once it stopped changing for a while (or after `seconds`)."""
    last, stable, deadline = None, 0, time.time() + seconds
    while time.time() < deadline:
        now = rss_mb(pid)
        stable = stable + 1 if last is not None and abs(now - last) < 0.05 else 0
        if stable >= 5:
            return now
        last = now
        time.sleep(1)
    return rss_mb(pid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/cooperage")
    ap.add_argument("--activities", type=int, default=40_000)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    peer_port, port = free_port(), free_port()
    peer = f"http://localhost:{peer_port}"
    actor = f"{peer}/users/bench"
    coop = f"http://localhost:{port}/actors/coop"
    document = json.dumps({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor, "type": "Person", "preferredUsername": "bench",
        "inbox": f"{actor}/inbox", "outbox": f"{actor}/outbox",
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": pem},
    }).encode()

    class Peer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "application/activity+json")
            self.send_header("content-length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def do_POST(self):
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", peer_port), Peer)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    workdir = tempfile.mkdtemp(prefix="cooperage-rss-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPERAGE") and k != "RUST_LOG"}
    env.update({"COOPERAGE__HTTP__BIND": f"127.0.0.1:{port}",
                "COOPERAGE__INSTANCE__DOMAIN": f"localhost:{port}"})
    log = open(os.path.join(workdir, "serve.log"), "wb")
    proc = subprocess.Popen([os.path.abspath(args.bin), "serve"], cwd=workdir, env=env,
                            stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        idle = settle(proc.pid, 30)
        print(f"idle RSS after start: {idle:.1f} MB (pid {proc.pid}, {workdir})", flush=True)

        def body(n):
            note = f"{peer}/notes/{n}"
            return json.dumps({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{note}/activity", "type": "Create", "actor": actor, "to": [coop],
                "object": {"id": note, "type": "Note", "attributedTo": actor, "to": [coop],
                           "content": f"<p>{n}: " + "Wir suchen Mitstreiter*innen. " * 30 + "</p>"},
            }).encode()

        def signed(n):
            data = body(n)
            digest = "SHA-256=" + base64.b64encode(hashlib.sha256(data).digest()).decode()
            date = formatdate(usegmt=True)
            host = f"localhost:{port}"
            text = (f"(request-target): post /inbox\nhost: {host}\ndate: {date}\n"
                    f"digest: {digest}\ncontent-type: application/activity+json")
            sig = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
            return data, {
                "host": host, "date": date, "digest": digest,
                "content-type": "application/activity+json",
                "signature": f'keyId="{actor}#main-key",algorithm="rsa-sha256",'
                             f'headers="(request-target) host date digest content-type",'
                             f'signature="{sig}"',
            }

        # Signed before the clock starts, so the rate is the server's more than Python's.
        prepared = [signed(n) for n in range(args.activities)]
        statuses = {}
        lock = threading.Lock()
        counter = iter(prepared)

        def worker():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while True:
                with lock:
                    request = next(counter, None)
                if request is None:
                    return
                data, headers = request
                conn.request("POST", "/inbox", data, headers)
                r = conn.getresponse()
                r.read()
                with lock:
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        started = time.time()
        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        peak = 0.0
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_mb(proc.pid))
            time.sleep(0.5)
        took = time.time() - started
        print(f"{args.activities} activities in {took:.1f} s ({args.activities / took:.0f}/s, "
              f"over {args.concurrency} connections), statuses {statuses}; peak RSS {peak:.1f} MB",
              flush=True)
        after = settle(proc.pid, 60)
        print(f"RSS idle after the activities: {after:.1f} MB", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
