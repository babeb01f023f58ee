"""A bovine peer for Cooperage's interop suite (run by run.py with the venv's python).

    python bovine_peer.py --port 4301 --coop http://localhost:PORT/actors/coop \
        --member http://localhost:PORT/actors/maria

Serves its own actor (`/actors/bob`, RSA key) on 127.0.0.1, then, with bovine doing the HTTP
signatures: signed GETs of the coop and member actors, a signed Follow to the coop's inbox, and
waits for the Accept, whose HTTP signature it verifies with bovine's own verifier
(`build_validate_http_signature_raw`, key fetched by a signed GET). Prints one JSON object with
what it saw; exit status 0 when every step worked.

bovine's JSON-LD loader would fetch unknown @context URLs from the internet (60 s timeout).
Nothing here expands JSON-LD, and the loader is replaced below so that any such fetch fails at
once (bovine then falls back to an empty context) instead of hanging.
"""

import argparse
import asyncio
import json
import sys
import time
import uuid

from aiohttp import web

import bovine
import bovine.jsonld
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier


def _offline_loader(**_kwargs):
    def load(url, _options=None):
        raise RuntimeError(f"interop suite is offline: not fetching {url}")

    return load


bovine.jsonld.requests_document_loader = _offline_loader


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--coop", required=True, help="actor URL of the coop")
    parser.add_argument("--member", required=True, help="actor URL of a member")
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()

    origin = f"http://localhost:{args.port}"
    actor_id = f"{origin}/actors/bob"
    key_id = f"{actor_id}#main-key"
    public_pem, private_pem = generate_rsa_public_private_key()
    actor_doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor_id,
        "type": "Person",
        "preferredUsername": "bob",
        "name": "bovine bob",
        "inbox": f"{actor_id}/inbox",
        "outbox": f"{actor_id}/outbox",
        "publicKey": {"id": key_id, "owner": actor_id, "publicKeyPem": public_pem},
    }
    inbox: list[dict] = []  # raw requests: method, url, headers (lower-cased), body
    arrived = asyncio.Event()

    async def get_actor(_request):
        return web.json_response(actor_doc, content_type="application/activity+json")

    async def post_inbox(request):
        body = await request.read()
        inbox.append(
            {
                "method": request.method,
                "url": f"{origin}{request.path_qs}",
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "body": body,
            }
        )
        arrived.set()
        return web.Response(status=202)

    app = web.Application()
    app.router.add_get("/actors/bob", get_actor)
    app.router.add_post("/actors/bob/inbox", post_inbox)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()

    result: dict = {"actor": actor_id, "steps": {}, "ok": False}
    steps = result["steps"]
    try:
        async with bovine.BovineActor(
            actor_id=actor_id, public_key_url=key_id, secret=private_pem
        ) as actor:
            # 1. Signed GETs of the coop and a member.
            docs = {}
            for name, url in (("coop", args.coop), ("member", args.member)):
                doc = await actor.get(url)
                docs[name] = doc
                steps[f"get_{name}"] = {
                    k: doc.get(k) for k in ("id", "type", "preferredUsername", "name", "inbox")
                }
                steps[f"get_{name}"]["publicKeyId"] = (doc.get("publicKey") or {}).get("id")
            coop = docs["coop"]

            # 2. Signed Follow to the coop's inbox.
            follow_id = f"{origin}/activities/follow-{uuid.uuid4()}"
            follow = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": follow_id,
                "type": "Follow",
                "actor": actor_id,
                "object": coop["id"],
            }
            response = await actor.post(coop["inbox"], follow)
            steps["follow"] = {"id": follow_id, "status": response.status}

            # 3. Wait for the Accept, then verify its HTTP signature with bovine.
            deadline = time.monotonic() + args.timeout
            accept_req = None
            while accept_req is None and time.monotonic() < deadline:
                for req in inbox:
                    activity = json.loads(req["body"])
                    if activity.get("type") == "Accept":
                        accept_req, accept = req, activity
                if accept_req is None:
                    arrived.clear()
                    try:
                        await asyncio.wait_for(arrived.wait(), deadline - time.monotonic())
                    except asyncio.TimeoutError:
                        pass
            if accept_req is None:
                steps["accept"] = {"error": f"no Accept within {args.timeout}s", "inbox": len(inbox)}
                return finish(result)

            fetched_keys = []

            async def key_retriever(key_url):
                fetched_keys.append(key_url)
                doc = await actor.get(key_url)  # signed GET; the actor document for #main-key
                return CryptographicIdentifier.from_public_key(doc.get("publicKey", doc))

            verify = build_validate_http_signature_raw(key_retriever)

            async def body():
                return accept_req["body"]

            signer = await verify("POST", accept_req["url"], accept_req["headers"], body)
            obj = accept["object"]
            steps["accept"] = {
                "id": accept.get("id"),
                "actor": accept.get("actor"),
                "object": obj.get("id") if isinstance(obj, dict) else obj,
                "signature_scheme": "rfc9421"
                if "signature-input" in accept_req["headers"]
                else "cavage",
                "verified_signer": signer,
                "keys_fetched": fetched_keys,
            }
            result["ok"] = (
                signer == coop["id"]
                and accept.get("actor") == coop["id"]
                and steps["accept"]["object"] == follow_id
            )
    except Exception as e:  # report, don't hang
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        await runner.cleanup()
    return finish(result)


def finish(result: dict) -> int:
    print(json.dumps(result))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
