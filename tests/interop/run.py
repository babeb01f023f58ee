#!/usr/bin/env python3
"""Cooperage interop suite: a real `cooperage serve` against independent ActivityPub peers.

    cargo build --bin cooperage
    python3 tests/interop/run.py --setup     # once: npm ci (Fedify), venv + pip (bovine)
    python3 tests/interop/run.py             # PASS/FAIL line per scenario, then the count

Starts on loopback, each on a free port: Cooperage (SQLite in a temp dir, one member `maria`),
two Fedify peers (tests/interop/fedify/peer.mjs; one knocks with draft-cavage first like
Mastodon, one with RFC 9421 first, Fedify's default), and runs bovine
(tests/interop/bovine_peer.py) as a one-shot peer. For acct: handles, which Fedify resolves by
WebFinger over https only, a second Cooperage serves TLS (its own SQLite, a `localhost`
certificate from a throw-away CA made with the openssl CLI) and a third Fedify peer trusts that
CA (NODE_EXTRA_CA_CERTS). Every process is killed at the end, also on failure or Ctrl-C. Logs
stay in the temp dir when a scenario fails (its path is printed).

Options: --setup (install the peers, then run), --only NAME (repeatable), --keep (keep the temp
dir), --bin PATH (default target/debug/cooperage, or $COOPERAGE_BIN).

To add a scenario: write a function `def name(w: World)` decorated with @scenario; raise
Fail("why") (or use check/wait_for) when it does not hold. Helpers below make peers follow,
post and report what they received.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FEDIFY_DIR = os.path.join(HERE, "fedify")
VENV = os.path.join(HERE, ".venv")
VENV_PY = os.path.join(VENV, "bin", "python")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
TOKEN = "interop-suite-admin-token-0123456789"


class Fail(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Fail(why)


def wait_for(what, probe, timeout=15.0, interval=0.1):
    """Poll `probe()` until it returns something truthy; Fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = probe()
        except Fail:
            raise
        except Exception as e:  # a peer not answering yet counts as "not yet"
            last = f"{type(e).__name__}: {e}"
            value = None
        else:
            value = last
        if value:
            return value
        if time.monotonic() >= deadline:
            raise Fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {str(last)[:300]})")
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=30, context=None, want_headers=False):
    """JSON over HTTP(S); returns (status, parsed JSON or text), and with `want_headers` the
    response headers (an email.message.Message) third. `context`: an SSLContext."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            status, raw, got = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, raw, got = e.code, e.read(), e.headers
    text = raw.decode("utf-8", "replace")
    try:
        out = json.loads(text)
    except ValueError:
        out = text
    return (status, out, got) if want_headers else (status, out)


def as_list(v):
    return v if isinstance(v, list) else [] if v is None else [v]


def context_defines(context, term):
    """Whether an inline part of a JSON-LD @context defines `term` (remote contexts: no)."""
    return any(isinstance(c, dict) and term in c for c in as_list(context))


# ---------------------------------------------------------------------------------------------
# Processes


class Procs:
    """Every process the suite starts; all are stopped by stop_all()."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.procs = []

    def start(self, name, argv, env=None, cwd=None):
        log = open(os.path.join(self.logdir, f"{name}.log"), "wb")
        p = subprocess.Popen(
            argv,
            cwd=cwd or ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: we kill the group
        )
        p.name, p.logfile = name, log.name
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()

    def check_alive(self, p):
        if p.poll() is not None:
            raise Fail(f"{p.name} exited with {p.returncode}; see {p.logfile}:\n{tail(p.logfile)}")


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + strip_ansi(line) for line in lines[-n:])


def strip_ansi(s):
    return re.sub(r"\x1b\[[0-9;]*m", "", s)


# ---------------------------------------------------------------------------------------------
# A throw-away CA for the TLS Cooperage


class TestCA:
    """A CA and a `localhost` server certificate it signed, made with the openssl CLI in `dir`.

    The server certificate is a leaf (CA:FALSE, serverAuth, SAN DNS:localhost) signed by the CA:
    rustls clients refuse a self-signed certificate as an end entity (CaUsedAsEndEntity).
    Clients trust `ca` (Node: NODE_EXTRA_CA_CERTS; Python: ssl_context())."""

    def __init__(self, dir):
        self.dir = dir
        self.ca = os.path.join(dir, "ca.pem")
        self.cert = os.path.join(dir, "localhost.pem")
        self.key = os.path.join(dir, "localhost.key")

    def create(self):
        os.makedirs(self.dir, exist_ok=True)
        ca_key = os.path.join(self.dir, "ca.key")
        csr = os.path.join(self.dir, "localhost.csr")
        ext = os.path.join(self.dir, "localhost.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName = DNS:localhost\n"
                    "basicConstraints = critical, CA:FALSE\n"
                    "keyUsage = critical, digitalSignature\n"
                    "extendedKeyUsage = serverAuth\n"
                    "subjectKeyIdentifier = hash\n"
                    "authorityKeyIdentifier = keyid, issuer\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        self._openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", self.ca, "-days", "2",
                      "-subj", "/CN=Cooperage interop throw-away CA",
                      "-addext", "basicConstraints = critical, CA:TRUE",
                      "-addext", "keyUsage = critical, keyCertSign, cRLSign")
        self._openssl("req", *ec, "-keyout", self.key, "-out", csr, "-subj", "/CN=localhost")
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", ca_key,
                      "-set_serial", str(int.from_bytes(os.urandom(8), "big")),
                      "-days", "2", "-extfile", ext, "-out", self.cert)

    def _openssl(self, *args):
        try:
            r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
        except OSError as e:
            raise Fail(f"cannot run openssl (needed for the TLS Cooperage): {e}")
        if r.returncode != 0:
            raise Fail(f"openssl {' '.join(args[:2])} exited {r.returncode}: {r.stderr.strip()[-500:]}")

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.ca)


# ---------------------------------------------------------------------------------------------
# The world: Cooperage and its peers


class Cooperage:
    """One `cooperage serve`; with `tls` (a TestCA), it speaks https itself and all its URLs
    (actor ids, WebFinger links) are https, even in federation debug mode."""

    def __init__(self, procs, dir, binary, name="cooperage", tls=None):
        os.makedirs(dir, exist_ok=True)
        self.name = name
        self.tls = tls
        self.port = free_port()
        self.base = f"{'https' if tls else 'http'}://localhost:{self.port}"
        # Where the suite itself talks to it: the certificate names localhost, not 127.0.0.1.
        self.local = self.base if tls else f"http://127.0.0.1:{self.port}"
        self.db = os.path.join(dir, "cooperage.sqlite")
        self.binary = binary
        self.procs = procs
        self.env = {
            "COOPERAGE__HTTP__BIND": f"127.0.0.1:{self.port}",
            "COOPERAGE__INSTANCE__DOMAIN": f"localhost:{self.port}",
            "COOPERAGE__INSTANCE__COOP_HANDLE": "coop",
            "COOPERAGE__DATABASE__URL": f"sqlite://{self.db}",
            "COOPERAGE__ADMIN__API_TOKEN": TOKEN,
            "COOPERAGE__DELIVERY__RETRY_INITIAL_SECONDS": "1",
            "COOPERAGE__DELIVERY__POLL_INTERVAL_MS": "100",
            "NO_COLOR": "1",
        }
        if tls:
            self.env["COOPERAGE__HTTP__TLS_CERT"] = tls.cert
            self.env["COOPERAGE__HTTP__TLS_KEY"] = tls.key
        self.proc = None

    def http(self, method, path, body=None, headers=None, timeout=30, want_headers=False):
        """A request of the suite's own to this Cooperage (trusting the test CA if TLS)."""
        return http(method, f"{self.local}{path}", body, headers, timeout,
                    context=self.tls.ssl_context() if self.tls else None,
                    want_headers=want_headers)

    def cli(self, *args, input=None):
        """`cooperage <args>` on the same database (also while `serve` runs); `input`: stdin."""
        r = subprocess.run(
            [self.binary, *args], cwd=ROOT, env={**os.environ, **self.env},
            capture_output=True, text=True, timeout=60, input=input,
        )
        if r.returncode != 0:
            raise Fail(f"cooperage {' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def start(self):
        self.cli("member", "add", "maria", "--name", "María")
        self.proc = self.procs.start(self.name, [self.binary, "serve"], env=self.env)

    def wait_ready(self):
        def up():
            self.procs.check_alive(self.proc)
            return self.http("GET", "/healthz", timeout=2)[0] == 200

        wait_for(f"{self.name} {self.local}/healthz", up, timeout=30)

    def actor(self, name):
        return f"{self.base}/actors/{name}"

    def login(self, login, password):
        """POST /api/v1/auth/login; returns the `Cookie` header value of the session."""
        status, out, headers = self.http("POST", "/api/v1/auth/login",
                                         {"login": login, "password": password}, want_headers=True)
        check(status == 200, f"login as {login} -> {status}: {out}")
        for cookie in headers.get_all("set-cookie") or []:
            pair = cookie.split(";", 1)[0].strip()
            if pair.startswith("cooperage_session=") and pair != "cooperage_session=":
                return pair
        raise Fail(f"login as {login}: no cooperage_session cookie in {headers.get_all('set-cookie')}")

    def admin(self, method, path, body=None):
        status, out = self.http(method, f"/api/v1/admin/{path}", body,
                                {"authorization": f"Bearer {TOKEN}"})
        check(200 <= status < 300, f"admin {method} {path} -> {status}: {out}")
        return out

    def remote_posts(self):
        """Remote posts stored, by ap_id (no read API yet: read the SQLite file)."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        try:
            rows = con.execute("SELECT ap_id, content FROM posts WHERE local = 0").fetchall()
        finally:
            con.close()
        return dict(rows)

    def log(self):
        with open(self.proc.logfile, "rb") as f:
            return strip_ansi(f.read().decode("utf-8", "replace"))


class FedifyPeer:
    def __init__(self, procs, name, first_knock, env=None):
        self.port = free_port()
        self.name = name
        self.first_knock = first_knock
        self.env = env
        self.base = f"http://localhost:{self.port}"
        self.actor = f"{self.base}/users/{name}"
        self.procs = procs
        self.proc = None

    def start(self):
        self.proc = self.procs.start(
            f"fedify-{self.name}",
            ["node", "peer.mjs", "--port", str(self.port), "--name", self.name,
             "--first-knock", self.first_knock],
            env=self.env,
            cwd=FEDIFY_DIR,
        )

    def wait_ready(self):
        def up():
            self.procs.check_alive(self.proc)
            return self.get("health").get("ok")

        wait_for(f"fedify peer {self.name}", up, timeout=30)

    def get(self, what):
        status, out = http("GET", f"http://127.0.0.1:{self.port}/_control/{what}", timeout=10)
        check(status == 200, f"fedify {self.name} GET {what} -> {status}: {out}")
        return out

    def post(self, what, body):
        status, out = http("POST", f"http://127.0.0.1:{self.port}/_control/{what}", body)
        check(status == 200, f"fedify {self.name} {what} {body} -> {status}: {str(out)[:500]}")
        return out

    def explained(self, what, body, doing):
        """Like post(), but on failure Fail with the first line of the error and the requests
        Fedify made meanwhile (WebFinger, actor, inbox) and how each ended, e.g. a certificate it
        did not trust."""
        before = len(self.get("outgoing"))
        status, out = http("POST", f"http://127.0.0.1:{self.port}/_control/{what}", body)
        if status == 200:
            return out
        error = out.get("error", out) if isinstance(out, dict) else out
        tried = "; ".join(f"{r['method']} {r['url']} -> {r['status']}"
                          for r in self.get("outgoing")[before:])
        raise Fail(f"Fedify {self.name} could not {doing}: "
                   f"{str(error).splitlines()[0][:200]}; its requests: {tried or 'none'}")

    def lookup(self, identifier):
        """lookupObject(identifier): an actor URL or a handle."""
        return self.explained("lookup", {"url": identifier}, f"look up {identifier}")

    def received(self, type_=None):
        return [a for a in self.get("received") if type_ is None or a["type"] == type_]

    def outgoing_to(self, host_port):
        return [r for r in self.get("outgoing") if f"//localhost:{host_port}/" in r["url"]
                or f"//127.0.0.1:{host_port}/" in r["url"]]


class World:
    """What scenarios get: the running Cooperage (`coop`), Fedify peers and shared helpers."""

    def __init__(self, procs, tmp, binary):
        self.tmp = tmp
        self.procs = procs
        self.coop = Cooperage(procs, tmp, binary)
        # Mastodon-like: draft-cavage first; and Fedify's default, RFC 9421 first.
        self.fedify = FedifyPeer(procs, "alice", "draft-cavage-http-signatures-12")
        self.fedify9421 = FedifyPeer(procs, "rita", "rfc9421")
        # The https world, for acct: handles: a Cooperage with TLS, and a Fedify peer (its
        # default, RFC 9421 first) that trusts the throw-away CA.
        self.ca = TestCA(os.path.join(tmp, "tls"))
        self.coop_tls = Cooperage(procs, os.path.join(tmp, "tls"), binary, "cooperage-tls", self.ca)
        self.fedify_tls = FedifyPeer(procs, "tess", "rfc9421", {"NODE_EXTRA_CA_CERTS": self.ca.ca})
        self.tls_error = None  # why the https world did not start; only its scenarios fail

    def start(self):
        self.coop.start()
        self.fedify.start()
        self.fedify9421.start()
        try:
            self.ca.create()
            self.coop_tls.start()
            self.fedify_tls.start()
        except Fail as e:
            self.tls_error = str(e)
        for part in (self.coop, self.fedify, self.fedify9421):
            part.wait_ready()
        if self.tls_error is None:
            try:
                self.coop_tls.wait_ready()
                self.fedify_tls.wait_ready()
            except Fail as e:
                self.tls_error = str(e)

    def need_tls(self):
        check(self.tls_error is None, f"the TLS Cooperage or its Fedify peer did not start: "
                                      f"{self.tls_error}")

    def follow(self, peer, target, timeout=15):
        """`peer` follows `target` (an actor URL) and waits for the Accept Fedify verified."""
        for f in peer.get("following"):
            if f["target"] == target and f["accepted"]:
                return f
        sent = peer.post("follow", {"target": target})

        def accepted():
            return next((f for f in peer.get("following")
                         if f["followId"] == sent["followId"] and f["accepted"]), None)

        return wait_for(f"{peer.name}'s Follow of {target} to be accepted", accepted, timeout)


# ---------------------------------------------------------------------------------------------
# Scenarios, in order; add one with @scenario.

SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


EXPECTED_ACTORS = {  # name -> (type, preferredUsername, name)
    "coop": ("Group", "coop", "Our Cooperative"),
    "maria": ("Person", "maria", "María"),
}


def check_actor(got, asked, coop, name):
    """What Fedify's lookupObject(`asked`) returned is `coop`'s actor `name`."""
    type_, username, display = EXPECTED_ACTORS[name]
    url = coop.actor(name)
    check(got["isActor"] and got["type"] == type_, f"{asked}: type {got['type']}, want {type_}")
    check(got["id"] == url, f"{asked}: id {got['id']}, want {url}")
    check(got["preferredUsername"] == username, f"{asked}: preferredUsername {got['preferredUsername']}")
    check(got["name"] == display, f"{asked}: name {got['name']!r}, want {display!r}")
    check(got["inbox"] == f"{url}/inbox", f"{asked}: inbox {got['inbox']}, want {url}/inbox")
    check(got["sharedInbox"] == f"{coop.base}/inbox", f"{asked}: sharedInbox {got['sharedInbox']}")
    check(got["publicKeyId"] == f"{url}#main-key", f"{asked}: publicKey id {got['publicKeyId']}")


@scenario
def fedify_looks_up_actors(w: World):
    """Fedify's lookupObject on the coop's and a member's actor URL (plain http)."""
    for name in EXPECTED_ACTORS:
        url = w.coop.actor(name)
        check_actor(w.fedify.lookup(url), url, w.coop, name)
    # The coop's @context names Cooperage's JSON-LD context at <base>/ns; Fedify expands the
    # document, so it must have loaded that context from the instance (JSON-LD, 200).
    context = f"{w.coop.base}/ns"
    loads = [r for r in w.fedify.get("outgoing") if r["url"] == context]
    check(any(r["status"] == 200 for r in loads),
          f"Fedify did not load {context} (requests: {loads}); the Group's @context names it")


@scenario
def fedify_looks_up_actors_by_handle(w: World):
    """Over TLS: Fedify resolves acct:coop@localhost:<port>, acct:maria@localhost:<port> and
    @coop@localhost:<port> by WebFinger (https only, port kept) and gets the https actors."""
    w.need_tls()
    coop, peer = w.coop_tls, w.fedify_tls
    check(coop.base == f"https://localhost:{coop.port}", f"the TLS Cooperage's base is {coop.base}")
    for handle, name in ((f"acct:coop@localhost:{coop.port}", "coop"),
                         (f"acct:maria@localhost:{coop.port}", "maria"),
                         (f"@coop@localhost:{coop.port}", "coop")):
        before = len(peer.get("outgoing"))
        check_actor(peer.lookup(handle), handle, coop, name)
        # It went through WebFinger, over https, on the port (not a guessed actor URL).
        acct = urllib.parse.quote(f"acct:{name}@localhost:{coop.port}", safe="")
        webfinger = f"https://localhost:{coop.port}/.well-known/webfinger?resource={acct}"
        made = peer.get("outgoing")[before:]
        check(any(r["url"] == webfinger and r["status"] == 200 for r in made),
              f"{handle}: no GET {webfinger} -> 200 among Fedify's requests: "
              + "; ".join(f"{r['method']} {r['url']} -> {r['status']}" for r in made))


@scenario
def fedify_follows_coop_and_member(w: World):
    """Fedify (draft-cavage first) follows the coop and maria; it verifies each signed Accept."""
    for name in ("coop", "maria"):
        target = w.coop.actor(name)
        f = w.follow(w.fedify, target)
        accepts = [a for a in w.fedify.received("Accept") if a["objectId"] == f["followId"]]
        check(accepts, f"no Accept of {f['followId']} recorded")
        check(accepts[0]["actor"] == target, f"Accept actor {accepts[0]['actor']}, want {target}")


@scenario
def fedify_follows_tls_coop_by_handle(w: World):
    """Fedify follows the TLS coop by its acct: handle; the signed Accept (its key fetched over
    https) is verified."""
    w.need_tls()
    coop, peer = w.coop_tls, w.fedify_tls
    handle = f"acct:coop@localhost:{coop.port}"
    sent = peer.explained("follow", {"target": handle}, f"follow {handle}")
    check(sent["target"] == coop.actor("coop"), f"{handle} resolved to {sent['target']}")

    def accepted():
        return next((f for f in peer.get("following")
                     if f["followId"] == sent["followId"] and f["accepted"]), None)

    wait_for(f"{peer.name}'s Follow of {handle} to be accepted", accepted)
    posts = [r for r in peer.outgoing_to(coop.port) if r["method"] == "POST"]
    check(posts and all(r["url"].startswith("https://") and isinstance(r["status"], int)
                        and 200 <= r["status"] < 300 for r in posts),
          "Fedify's POSTs to the TLS coop: " + "; ".join(f"{r['url']} -> {r['status']}" for r in posts))


@scenario
def coop_post_reaches_fedify(w: World):
    """The coop posts (admin API); Fedify parses the Note: content, hashtags, to/cc."""
    w.follow(w.fedify, w.coop.actor("coop"))
    marker = f"m{int(time.time() * 1000)}"
    out = w.coop.admin("POST", "announcements",
                       {"text": f"Interop check {marker} #interop #Coops", "author": "coop"})
    post_id = out.get("id")

    def arrived():
        return next((a for a in w.fedify.received("Create")
                     if a.get("note") and marker in (a["note"]["content"] or "")), None)

    create = wait_for(f"Create(Note) {post_id} at Fedify", arrived)
    note, raw = create["note"], create["raw"] or {}
    check(post_id is None or note["id"] == post_id, f"note id {note['id']}, admin API said {post_id}")
    check(note["attributedTo"] == w.coop.actor("coop"), f"attributedTo {note['attributedTo']}")
    check(PUBLIC in note["to"], f"to {note['to']} lacks Public")
    check(f"{w.coop.actor('coop')}/followers" in note["cc"], f"cc {note['cc']} lacks the followers")
    tags = {t.lower() for t in note["hashtags"] if t}
    if not {"#interop", "#coops"} <= tags:
        sent = [t.get("name") for t in as_list((raw.get("object") or {}).get("tag"))
                if isinstance(t, dict) and t.get("type") == "Hashtag"]
        why = ""
        if sent and not context_defines(raw.get("@context"), "Hashtag"):
            why = (f"; Cooperage sent tag {sent} but its @context does not define `Hashtag` "
                   "(not in the ActivityStreams context; Mastodon adds \"Hashtag\": \"as:Hashtag\"), "
                   "so JSON-LD processors drop the tags")
        raise Fail(f"Fedify parsed hashtags {note['hashtags']}, want #interop and #Coops{why}")


@scenario
def hashtag_and_mention_reach_fedify(w: World):
    """maria (whom rita does not follow) posts with a hashtag and a mention of rita: Cooperage
    resolves rita by WebFinger, delivers to her because she is mentioned, and Fedify parses
    the Hashtag and the Mention, with rita in cc and both linked in the content."""
    peer = w.fedify9421
    handle = f"@{peer.name}@localhost:{peer.port}"
    marker = f"m{int(time.time() * 1000)}"
    out = w.coop.admin("POST", "announcements",
                       {"text": f"Hallo #kooperative {handle} {marker}", "author": "maria"})

    def arrived():
        return next((a for a in peer.received("Create")
                     if a.get("note") and marker in (a["note"]["content"] or "")), None)

    note = wait_for(f"Create(Note) {out.get('id')} at Fedify {peer.name}", arrived)["note"]
    check("#kooperative" in [t.lower() for t in note["hashtags"] if t],
          f"Fedify parsed hashtags {note['hashtags']}, want #kooperative")
    check(any(m["href"] == peer.actor for m in note.get("mentions", [])),
          f"Fedify parsed mentions {note.get('mentions')}, want {peer.actor}")
    check(peer.actor in note["cc"], f"cc {note['cc']} lacks the mentioned {peer.actor}")
    check(f'href="{peer.actor}" class="u-url mention"' in note["content"]
          and 'class="mention hashtag" rel="tag">#<span>kooperative</span>' in note["content"],
          f"content not linked as Mastodon links it: {note['content']}")


@scenario
def coop_follows_fedify_and_stores_its_note(w: World):
    """The coop follows Fedify (admin API, by URL); Fedify accepts and posts a Note carrying a
    FEP-8b32 proof and an LD signature; Cooperage stores it."""
    peer = w.fedify
    w.coop.admin("POST", "federation/follows", {"target": peer.actor})

    def follow_in():
        return next((a for a in peer.received("Follow")
                     if a["actor"] == w.coop.actor("coop") and a["objectId"] == peer.actor), None)

    wait_for("the coop's Follow at Fedify", follow_in)

    def accept_delivered():
        return next((r for r in peer.outgoing_to(w.coop.port)
                     if (r.get("activity") or {}).get("type") == "Accept"
                     and isinstance(r["status"], int) and 200 <= r["status"] < 300), None)

    wait_for("Fedify's Accept delivered to Cooperage (2xx)", accept_delivered)

    content = f"<p>Hello from Fedify {int(time.time() * 1000)}</p>"
    note_id = peer.post("post", {"content": content})["noteId"]
    stored = wait_for(f"{note_id} stored by Cooperage",
                      lambda: w.coop.remote_posts().get(note_id))
    check(stored == content, f"stored content {stored!r}, sent {content!r}")
    create = [r for r in peer.outgoing_to(w.coop.port)
              if (r.get("activity") or {}).get("id") == f"{note_id}/activity"]
    check(create, "Fedify's POST of the Create was not recorded")
    check(create[-1]["hasProof"] and create[-1]["hasLdSignature"],
          f"the Create carried proof={create[-1]['hasProof']} "
          f"LD signature={create[-1]['hasLdSignature']}: proof/signature not exercised")


@scenario
def rfc9421_first_knock_accepted(w: World):
    """Fedify with RFC 9421 first (its default) follows the coop and posts to it: every POST
    is accepted on the first knock, no 400/401 and no draft-cavage fallback."""
    peer = w.fedify9421
    w.follow(peer, w.coop.actor("coop"))
    content = f"<p>RFC 9421 knock {int(time.time() * 1000)}</p>"
    note_id = peer.post("post", {"content": content, "to": [w.coop.actor("coop")]})["noteId"]
    wait_for(f"{note_id} stored by Cooperage", lambda: w.coop.remote_posts().get(note_id))
    posts = [r for r in peer.outgoing_to(w.coop.port) if r["method"] == "POST"]
    check(len(posts) >= 2, f"expected the Follow and the Create POSTs, saw {posts}")
    bad = [r for r in posts if r["scheme"] != "rfc9421" or r["status"] in (400, 401)]
    check(not bad, "not accepted on the RFC 9421 first knock: " + "; ".join(
        f"{(r.get('activity') or {}).get('type')} {r['url']} {r['scheme']} -> {r['status']}"
        for r in bad))


MEMBER_PASSWORD = "interop-member-password-0123"  # 12+ characters, without the username


@scenario
def member_profile_update_reaches_fedify(w: World):
    """A member (`cooperage admin create`, while serve runs) edits her profile through the API
    (session cookie, PATCH /api/v1/me); Fedify, following her, verifies the Update{Person},
    parses the new name, bio and City field, and the actor the peer keeps for her changes.

    Fedify keeps no actors itself, and lookupObject() reads through its document cache (5
    minutes, not invalidated by an Update), so the peer keeps what it followed and replaces it
    with the object of a verified Update from that actor, as an app on Fedify does."""
    coop, peer = w.coop, w.fedify
    ana = coop.actor("ana")
    coop.cli("admin", "create", "--username", "ana", "--name", "Ana", input=MEMBER_PASSWORD + "\n")
    w.follow(peer, ana)
    before = peer.get("actors").get(ana) or {}
    check(before.get("name") == "Ana", f"before the edit Fedify keeps ana as {before}")

    cookie = coop.login("ana", MEMBER_PASSWORD)
    marker = f"m{int(time.time() * 1000)}"
    n_received, n_inbox = len(peer.received()), len(peer.get("inbox"))
    status, out = coop.http("PATCH", "/api/v1/me",
                            {"display_name": "Ana Updated", "city": "Kassel",
                             "bio": f"Cooper and baker {marker}"}, {"cookie": cookie})
    check(status == 200, f"PATCH /api/v1/me -> {status}: {out}")

    def arrived():
        got = [a for a in peer.received()[n_received:] if a["type"] == "Update"]
        if got:
            return got[0]
        # Not recorded: did Fedify refuse it (e.g. JSON-LD it could not expand)? Say how.
        for p in peer.get("inbox")[n_inbox:]:
            if p["type"] == "Update" and isinstance(p["status"], int) and not 200 <= p["status"] < 300:
                raise Fail(f"Fedify answered Cooperage's Update {p['id']} with {p['status']}: "
                           f"{p['response']!r}; see {peer.proc.logfile}")
        return None

    update = wait_for(f"Update of {ana} at Fedify", arrived)
    raw = update["raw"] or {}
    check("error" not in update, f"Fedify verified the Update but could not read its object: "
                                 f"{str(update.get('error')).splitlines()[0]}; raw object: "
                                 f"{json.dumps(raw.get('object'))[:300]}")
    check(update["actor"] == ana, f"Update actor {update['actor']}, want {ana}")
    check(update["objectId"] == ana, f"Update object {update['objectId']}, want {ana}")
    person = update.get("person")
    check(person, f"Fedify did not parse the Update's object as an actor: "
                  f"{json.dumps(update['json'].get('object'))[:300]}")
    check(person["type"] == "Person" and person["id"] == ana, f"Update object {person['type']} {person['id']}")
    check(person["name"] == "Ana Updated", f"Fedify parsed name {person['name']!r}, want 'Ana Updated' "
                                           f"(sent {(raw.get('object') or {}).get('name')!r})")
    fields = {f.get("name"): f.get("value") for f in person["fields"]}
    if fields.get("City") != "Kassel":
        sent = [a for a in as_list((raw.get("object") or {}).get("attachment"))]
        raise Fail(f"Fedify parsed profile fields {person['fields']}, want City: Kassel "
                   f"(sent attachment {json.dumps(sent)[:300]})")
    check(fields.get("Role"), f"no Role field among {person['fields']}")
    if marker not in (person["summary"] or ""):
        sent = (raw.get("object") or {}).get("summary")
        where = (f"Cooperage sent summary {sent!r}: the bio (PATCH answered bio "
                 f"{out.get('bio')!r}) is not in ana's actor document"
                 if marker not in str(sent) else f"Cooperage sent summary {sent!r}")
        raise Fail(f"Fedify parsed summary {person['summary']!r}, want the new bio; {where}")

    after = peer.get("actors").get(ana) or {}
    check(after.get("source") == "update" and after.get("activityId") == update["id"],
          f"the peer did not take {update['id']} as ana's profile: it keeps {after}")
    check(after.get("name") == "Ana Updated" and after.get("fields") == person["fields"],
          f"Fedify keeps ana as {after}, before the edit {before}")


@scenario
def public_listing_reaches_fedify(w: World):
    """A member publishes a public skill listing (API); Fedify, following her, parses it as a
    Note with the skill's hashtags, and the structured fields ride along for Cooperage peers."""
    coop, peer = w.coop, w.fedify
    lisa = coop.actor("lisa")
    coop.cli("admin", "create", "--username", "lisa", "--name", "Lisa", input=MEMBER_PASSWORD + "\n")
    w.follow(peer, lisa)
    cookie = coop.login("lisa", MEMBER_PASSWORD)
    marker = f"m{int(time.time() * 1000)}"
    status, out = coop.http("POST", "/api/v1/skills",
                            {"skill": "Rust", "tags": ["Interop"], "level": "expert",
                             "hours_per_week": 12, "description": f"Listing {marker}",
                             "visibility": "public"}, {"cookie": cookie})
    check(status == 201, f"POST /api/v1/skills -> {status}: {out}")

    def arrived():
        return next((a for a in peer.received("Create")
                     if a.get("note") and marker in (a["note"]["content"] or "")), None)

    create = wait_for(f"the listing {out.get('ap_id')} at Fedify", arrived)
    note, raw = create["note"], create["raw"] or {}
    check(note["id"] == out["ap_id"], f"note id {note['id']}, the API said {out['ap_id']}")
    check(note["attributedTo"] == lisa, f"attributedTo {note['attributedTo']}")
    check(PUBLIC in note["to"], f"to {note['to']} lacks Public")
    tags = {t.lower() for t in note["hashtags"] if t}
    check({"#rust", "#interop"} <= tags,
          f"Fedify parsed hashtags {note['hashtags']}, want #rust and #interop "
          f"(sent {[t.get('name') for t in as_list((raw.get('object') or {}).get('tag'))]})")
    obj = raw.get("object") or {}
    check(obj.get("coopKind") == "SkillListing" and obj.get("hoursPerWeek") == 12,
          f"structured fields lost on the way: {json.dumps(obj)[:300]}")


@scenario
def public_offer_reaches_fedify(w: World):
    """A member publishes a public project offer (API); the coop sends it, and Fedify,
    following the coop, parses it as a Note with #projectoffer and the skills' hashtags, the
    structured fields riding along."""
    coop, peer = w.coop, w.fedify
    coop_id = coop.actor("coop")
    w.follow(peer, coop_id)
    coop.cli("admin", "create", "--username", "olga", "--name", "Olga", input=MEMBER_PASSWORD + "\n")
    cookie = coop.login("olga", MEMBER_PASSWORD)
    status, project = coop.http("POST", "/api/v1/projects",
                                {"name": "Interop", "currency": "EUR"}, {"cookie": cookie})
    check(status == 201, f"POST /api/v1/projects -> {status}: {project}")
    marker = f"m{int(time.time() * 1000)}"
    status, out = coop.http("POST", f"/api/v1/projects/{project['id']}/offers",
                            {"title": f"Offer {marker}", "skills": ["Rust", "Interop"],
                             "positions": 2, "estimated_hours": 80, "compensation": "hourly",
                             "amount": "55.00", "currency": "EUR", "remote": True,
                             "audience": "public"}, {"cookie": cookie})
    check(status == 201, f"POST /api/v1/projects/{project['id']}/offers -> {status}: {out}")

    def arrived():
        return next((a for a in peer.received("Create")
                     if a.get("note") and marker in (a["note"]["content"] or "")), None)

    create = wait_for(f"the offer {out.get('ap_id')} at Fedify", arrived)
    note, raw = create["note"], create["raw"] or {}
    check(note["id"] == out["ap_id"], f"note id {note['id']}, the API said {out['ap_id']}")
    check(note["attributedTo"] == coop_id, f"attributedTo {note['attributedTo']}, not the coop")
    check(PUBLIC in note["to"], f"to {note['to']} lacks Public")
    tags = {t.lower() for t in note["hashtags"] if t}
    check({"#projectoffer", "#rust", "#interop"} <= tags,
          f"Fedify parsed hashtags {note['hashtags']}, want #projectoffer, #rust and #interop "
          f"(sent {[t.get('name') for t in as_list((raw.get('object') or {}).get('tag'))]})")
    obj = raw.get("object") or {}
    check(obj.get("coopKind") == "ProjectOffer" and obj.get("amount") == "55.00"
          and obj.get("positions") == 2,
          f"structured fields lost on the way: {json.dumps(obj)[:300]}")


@scenario
def fedify_reads_a_proposal_and_its_user_votes_advisory(w: World):
    """A member opens a network proposal open to outside votes; Fedify, following the coop,
    parses the Question (name, endTime, each option's name and count). Its user votes as
    Mastodon sends votes (Create{Note{name, inReplyTo}} to the coop): the vote is counted in
    the advisory tally only, apart from the members' count."""
    coop, peer = w.coop, w.fedify
    coop_id = coop.actor("coop")
    w.follow(peer, coop_id)
    coop.cli("admin", "create", "--username", "pia", "--name", "Pia", input=MEMBER_PASSWORD + "\n")
    cookie = coop.login("pia", MEMBER_PASSWORD)
    closes = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).replace(microsecond=0)
    options = ["Approve", "Reject", "Abstain"]
    status, out = coop.http("POST", "/api/v1/proposals",
                            {"title": "Interop fund", "body": "Adopt a *fund*?", "kind": "single",
                             "scope": "network", "options": options, "open_poll": True,
                             "closes_at": closes.isoformat()}, {"cookie": cookie})
    check(status == 201, f"POST /api/v1/proposals -> {status}: {out}")
    question_id = out["ap_id"]

    def arrived():
        return next((a for a in peer.received("Create")
                     if (a.get("question") or {}).get("id") == question_id), None)

    def refused():
        got = [a for a in peer.received("Create") if a.get("objectId") == question_id]
        return f"; Fedify recorded it as {json.dumps(got)[:400]}" if got else ""

    try:
        create = wait_for(f"the Question {question_id} at Fedify", arrived)
    except Fail as e:
        raise Fail(f"{e}{refused()}")
    q = create["question"]
    check(q["attributedTo"] == coop_id, f"attributedTo {q['attributedTo']}, want the coop")
    names = [o["name"] for o in q["oneOf"]]
    check(names == options, f"Fedify parsed oneOf {q['oneOf']}, want {options} "
                            f"(sent {json.dumps((create['raw'] or {}).get('object', {}).get('oneOf'))[:300]})")
    check(all(o["type"] == "Note" and o["totalItems"] == 0 for o in q["oneOf"]),
          f"options as Fedify parsed them: {q['oneOf']}")
    check(q["anyOf"] == [], f"a single-choice proposal has no anyOf: {q['anyOf']}")
    end = datetime.datetime.fromisoformat((q["endTime"] or "").replace("Z", "+00:00"))
    check(end == closes, f"Fedify parsed endTime {q['endTime']}, want {closes.isoformat()}")
    check(q["closed"] is None, f"an open proposal is not closed: {q['closed']}")

    peer.post("vote", {"question": question_id, "name": "Reject", "to": coop_id})

    def advisory():
        status, view = coop.http("GET", f"/api/v1/proposals/{out['id']}", headers={"cookie": cookie})
        check(status == 200, f"GET /api/v1/proposals/{out['id']} -> {status}: {view}")
        got = {o["name"]: (o["votes"], o["advisory_votes"]) for o in view["options"]}
        return view if got["Reject"] == (0, 1) and view["advisory_voters"] == 1 else None

    view = wait_for("the Fedify user's vote in the advisory tally", advisory)
    check(view["voters"] == 0 and all(o["votes"] == 0 for o in view["options"]),
          f"an outside vote must not count: {view['options']}, voters {view['voters']}")


@scenario
def bovine_signed_fetch_follow_and_accept(w: World):
    """bovine: signed GETs of the coop and a member, a signed Follow, and bovine's own verifier
    accepts the HTTP signature of the coop's Accept."""
    check(os.path.exists(VENV_PY), f"{VENV_PY} missing: run with --setup")
    r = subprocess.run(
        [VENV_PY, os.path.join(HERE, "bovine_peer.py"), "--port", str(free_port()),
         "--coop", w.coop.actor("coop"), "--member", w.coop.actor("maria")],
        capture_output=True, text=True, timeout=90,
        cwd=w.tmp,  # bovine writes its JSON-LD cache (a SQLite file) into the working directory
    )
    with open(os.path.join(w.tmp, "bovine.log"), "w") as f:
        f.write(r.stdout + "\n" + r.stderr)
    try:
        out = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise Fail(f"bovine peer exited {r.returncode} without a result: {r.stderr.strip()[-500:]}")
    steps = out.get("steps", {})
    check("error" not in out, f"bovine: {out.get('error')} (steps so far: {json.dumps(steps)[:400]})")
    check(steps.get("get_coop", {}).get("type") == "Group", f"coop fetched as {steps.get('get_coop')}")
    check(steps.get("get_member", {}).get("type") == "Person", f"member fetched as {steps.get('get_member')}")
    acc = steps.get("accept", {})
    check(acc.get("verified_signer") == w.coop.actor("coop"),
          f"bovine did not verify the Accept's signature as the coop's: {acc}")
    check(out.get("ok"), f"bovine: {json.dumps(steps)[:500]}")


# ---------------------------------------------------------------------------------------------


def setup():
    """Install the peers, pinned: Fedify from package-lock.json, bovine from requirements.txt."""
    print("==> interop setup: npm ci (Fedify)", file=sys.stderr, flush=True)
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=FEDIFY_DIR, check=True)
    print("==> interop setup: venv + pip (bovine)", file=sys.stderr, flush=True)
    if not os.path.exists(VENV_PY):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([VENV_PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", os.path.join(HERE, "requirements.txt")], check=True)


def dump_peers(w, tmp):
    """What each Fedify peer saw, as JSON next to the logs (best effort)."""
    for peer in (w.fedify, w.fedify9421, w.fedify_tls) if w else ():
        for what in ("received", "outgoing", "following"):
            try:
                with open(os.path.join(tmp, f"fedify-{peer.name}.{what}.json"), "w") as f:
                    json.dump(peer.get(what), f, indent=1)
            except Exception:
                pass


def interrupted(*_):
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description="Cooperage interop suite")
    ap.add_argument("--setup", action="store_true", help="install the peers first")
    ap.add_argument("--only", action="append", help="run only these scenarios")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite)")
    ap.add_argument("--bin", default=os.environ.get("COOPERAGE_BIN",
                                                    os.path.join(ROOT, "target", "debug", "cooperage")))
    args = ap.parse_args()

    if args.setup:
        setup()
    if not os.path.isfile(args.bin):
        sys.exit(f"{args.bin} missing: run `cargo build --bin cooperage` first")
    if not os.path.isdir(os.path.join(FEDIFY_DIR, "node_modules", "@fedify", "fedify")):
        sys.exit("Fedify is not installed: run with --setup (npm ci in tests/interop/fedify)")

    selected = [s for s in SCENARIOS if not args.only or s.__name__ in args.only]
    # SIGTERM (CI timeout, kill) unwinds like Ctrl-C, so `finally` tears everything down.
    signal.signal(signal.SIGTERM, interrupted)
    tmp = tempfile.mkdtemp(prefix="cooperage-interop-")
    procs = Procs(tmp)
    w = None
    passed = failed = 0
    started = time.monotonic()
    try:
        w = World(procs, tmp, os.path.abspath(args.bin))
        try:
            w.start()
        except Exception as e:  # Fail, or e.g. node missing (OSError)
            print(f"# setup failed: {e}", file=sys.stderr, flush=True)
            for fn in selected:
                print(f"FAIL {fn.__name__}: setup failed ({str(e).splitlines()[0]})", flush=True)
            failed, selected = len(selected), []
        else:
            print(f"# started cooperage :{w.coop.port}, fedify alice :{w.fedify.port} "
                  f"(cavage first), rita :{w.fedify9421.port} (rfc9421 first); "
                  f"cooperage-tls https :{w.coop_tls.port}, fedify tess :{w.fedify_tls.port} "
                  f"in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)
            if w.tls_error:
                print(f"# TLS world not started: {w.tls_error}", file=sys.stderr, flush=True)
        for fn in selected:
            t0 = time.monotonic()
            try:
                fn(w)
            except Fail as e:
                failed += 1
                print(f"FAIL {fn.__name__}: {e}", flush=True)
            except Exception as e:
                failed += 1
                print(f"FAIL {fn.__name__}: {type(e).__name__}: {e}", flush=True)
            else:
                passed += 1
                print(f"PASS {fn.__name__}", flush=True)
            print(f"#   {fn.__name__}: {time.monotonic() - t0:.1f}s", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        failed += 1
    finally:
        if failed or args.keep:
            dump_peers(w, tmp)
        procs.stop_all()
        if failed or args.keep:
            print(f"# logs and database kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    print(f"# total {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
