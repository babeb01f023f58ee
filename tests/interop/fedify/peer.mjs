// A Fedify peer for Cooperage's interop suite (driven by ../run.py).
//
//   node peer.mjs --port 4001 [--first-knock rfc9421|draft-cavage-http-signatures-12] [--name alice]
//
// Serves one Person (`/users/<name>`, RSA + Ed25519 keys, so Fedify attaches a FEP-8b32 `proof`
// and an LD `signature` to what it sends), accepts every Follow, records every activity that
// reaches its inbox, and answers a small control API on the same port:
//
//   GET  /_control/health                 -> {ok, actor}
//   GET  /_control/received               -> activities received (verified by Fedify): parsed by
//                                            Fedify (`json`, `note`, for Update of an actor
//                                            `person`) and as sent (`raw`); `error` if a
//                                            listener could not read it
//   GET  /_control/inbox                  -> every POST to its inboxes: activity id/type and
//                                            Fedify's response (status, body), verified or not
//   GET  /_control/actors                 -> the remote actors it keeps, by id: what it looked
//                                            up when following, replaced by the object of a
//                                            verified Update from that same actor (as an app
//                                            on Fedify does: Fedify itself keeps no actors)
//   GET  /_control/outgoing               -> every HTTP request this peer made: method, url,
//                                            signature scheme (rfc9421|cavage|none), status,
//                                            for POSTs: activity id/type, hasProof, hasLdSignature
//   GET  /_control/following              -> follows sent: {target, followId, accepted}
//   POST /_control/lookup  {url}          -> lookupObject(url): type, id, names, inbox, ...
//                                            (through Fedify's document cache: 5 minutes)
//   POST /_control/follow  {target}       -> sends Follow to the actor `target`
//   POST /_control/post    {content, to?} -> Create(Note) to its followers (and `to` actors)
//   POST /_control/vote    {question, name, to}
//                                         -> a poll vote as Mastodon sends it: Create(Note{name,
//                                            inReplyTo: question, no content}) to the actor `to`
//
// A received Create/Update of a Question is parsed by Fedify into `question`: its name,
// endTime, closed, voters and options (`oneOf` / `anyOf`: name and replies.totalItems).
//
// Actors are named by URL or by handle (`acct:user@host:port`, `@user@host:port`). Fedify's
// WebFinger client is https-only, so handles need a TLS server whose CA Node trusts: run with
// NODE_EXTRA_CA_CERTS=<ca.pem> (run.py does, for the peer that talks to the TLS Cooperage).
import http from "node:http";
import { parseArgs } from "node:util";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Create,
  Endpoints,
  Follow,
  Hashtag,
  isActor,
  Mention,
  Note,
  Person,
  PropertyValue,
  PUBLIC_COLLECTION,
  Question,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    "first-knock": { type: "string", default: "rfc9421" },
    name: { type: "string", default: "alice" },
  },
});
const PORT = Number(args.port);
const NAME = args.name;
const ORIGIN = `http://localhost:${PORT}`;

// ---- Record every outgoing request (which signature scheme, which status) -------------------
const outgoing = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const isReq = input instanceof Request;
  const headers = new Headers(isReq ? input.headers : init?.headers);
  const entry = {
    method: (isReq ? input.method : init?.method) ?? "GET",
    url: isReq ? input.url : String(input),
    scheme: headers.has("signature-input")
      ? "rfc9421"
      : headers.has("signature")
        ? "cavage"
        : "none",
    status: null,
  };
  if (entry.method === "POST") {
    // What the activity carried besides the HTTP signature (FEP-8b32 proof, LD signature).
    try {
      const text = isReq ? await input.clone().text() : String(init?.body ?? "");
      const json = JSON.parse(text);
      entry.activity = { id: json.id ?? null, type: json.type ?? null };
      entry.hasProof = json.proof != null;
      entry.hasLdSignature = json.signature != null;
    } catch {
      // not JSON: leave it out
    }
  }
  outgoing.push(entry);
  try {
    const res = await realFetch(input, init);
    entry.status = res.status;
    return res;
  } catch (e) {
    // undici says only "fetch failed"; the reason (e.g. a certificate not trusted) is the cause.
    const cause = e?.cause == null ? "" : ` (${[e.cause.code, e.cause.message].filter(Boolean).join(": ")})`;
    entry.status = `error: ${e?.message ?? e}${cause}`;
    throw e;
  }
};

// ---- State ----------------------------------------------------------------------------------
const received = []; // what reached the inbox, after Fedify verified it
const rawById = new Map(); // activity id -> the JSON as it arrived on the wire
const followers = new Map(); // actor id -> actor object (for sendActivity)
const following = []; // {target, followId, accepted}
const inboxPosts = []; // {id, type, status, response}: every POST to an inbox, as answered
const actors = new Map(); // actor id -> describeActor(): followed actors, kept up to date by Update
let keyPairs; // [RSA, Ed25519]
let seq = 0;

const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true,
  firstKnock: args["first-knock"],
  origin: ORIGIN,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== NAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: `Fedify ${identifier}`,
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      url: ctx.getActorUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) =>
    identifier === NAME ? keyPairs : []
  );

federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  async (_ctx, identifier) =>
    identifier === NAME ? { items: [...followers.values()] } : null,
);

// What an app keeps of a remote actor: names, bio, profile fields (`attachment` PropertyValues).
async function describeActor(ctx, actor) {
  const fields = [];
  for await (const a of actor.getAttachments({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader })) {
    fields.push(a instanceof PropertyValue
      ? { name: a.name?.toString() ?? null, value: a.value?.toString() ?? null }
      : { type: a?.constructor?.name ?? String(a) });
  }
  return {
    type: actor.constructor.name,
    id: actor.id?.href ?? null,
    preferredUsername: actor.preferredUsername?.toString() ?? null,
    name: actor.name?.toString() ?? null,
    summary: actor.summary?.toString() ?? null,
    fields,
  };
}

// What a poll client reads of a Question (Mastodon's fields, through Fedify's vocabulary).
async function describeQuestion(ctx, question) {
  const options = async (iterable) => {
    const out = [];
    for await (const option of iterable) {
      const replies = await option.getReplies?.(ctx);
      out.push({
        type: option.constructor.name,
        name: option.name?.toString() ?? null,
        totalItems: replies?.totalItems ?? null,
      });
    }
    return out;
  };
  return {
    id: question.id?.href ?? null,
    attributedTo: question.attributionId?.href ?? null,
    name: question.name?.toString() ?? null,
    content: question.content?.toString() ?? null,
    endTime: question.endTime?.toString() ?? null,
    closed: question.closed?.toString() ?? null,
    voters: question.voters ?? null,
    oneOf: await options(question.getExclusiveOptions(ctx)),
    anyOf: await options(question.getInclusiveOptions(ctx)),
  };
}

async function record(ctx, activity) {
  try {
    return await recordParsed(ctx, activity);
  } catch (e) {
    // A listener that cannot read what Fedify verified: keep the reason for the harness.
    const entry = {
      type: activity.constructor.name,
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      objectId: activity.objectId?.href ?? null,
      raw: rawById.get(activity.id?.href) ?? null,
      error: String(e?.stack ?? e),
    };
    received.push(entry);
    throw e;
  }
}

async function recordParsed(ctx, activity) {
  const entry = {
    type: activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    objectId: activity.objectId?.href ?? null,
    json: await activity.toJsonLd({ contextLoader: ctx.contextLoader }),
    raw: rawById.get(activity.id?.href) ?? null,
  };
  if (activity instanceof Create || activity instanceof Update) {
    const object = await activity.getObject(ctx);
    if (object instanceof Note) {
      const tags = [];
      const mentions = [];
      for await (const tag of object.getTags(ctx)) {
        if (tag instanceof Hashtag) tags.push(tag.name?.toString() ?? null);
        if (tag instanceof Mention) {
          mentions.push({ name: tag.name?.toString() ?? null, href: tag.href?.href ?? null });
        }
      }
      entry.note = {
        id: object.id?.href ?? null,
        content: object.content?.toString() ?? null,
        attributedTo: object.attributionId?.href ?? null,
        to: object.toIds.map((u) => u.href),
        cc: object.ccIds.map((u) => u.href),
        hashtags: tags,
        mentions,
      };
    }
    if (object instanceof Question) {
      entry.question = await describeQuestion(ctx, object);
    }
    if (activity instanceof Update && isActor(object)) {
      entry.person = await describeActor(ctx, object);
      // Only the actor itself may update its profile (Fedify verified the signer is `actor`).
      if (object.id?.href === entry.actor && actors.has(entry.actor)) {
        actors.set(entry.actor, { ...entry.person, source: "update", activityId: entry.id });
      }
    }
  }
  received.push(entry);
  return entry;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(NAME).href) return;
    const follower = await follow.getActor(ctx);
    if (!isActor(follower)) return;
    followers.set(follower.id.href, follower);
    await ctx.sendActivity(
      { identifier: NAME },
      follower,
      new Accept({
        id: new URL(`${ORIGIN}/activities/accept-${++seq}`),
        actor: ctx.getActorUri(NAME),
        object: follow,
      }),
    );
  })
  .on(Accept, async (ctx, accept) => {
    // Fedify has verified the HTTP signature, and that the signer is the Accept's actor.
    const entry = await record(ctx, accept);
    for (const f of following) {
      if (f.followId === entry.objectId && f.target === entry.actor) f.accepted = true;
    }
  })
  .on(Reject, record)
  .on(Undo, record)
  .on(Create, record)
  .on(Update, record)
  .on(Activity, record) // anything else
  .onError((_ctx, error) => {
    console.error(`[fedify ${NAME}] inbox error:`, error);
  });

// ---- Control API ----------------------------------------------------------------------------
function ctx() {
  return federation.createContext(new URL(ORIGIN), undefined);
}

async function lookupActor(c, url) {
  const object = await c.lookupObject(url);
  if (object == null) throw new Error(`lookupObject(${url}) returned null`);
  return object;
}

const control = {
  "GET /_control/health": async () => ({ ok: true, actor: `${ORIGIN}/users/${NAME}` }),
  "GET /_control/received": async () => received,
  "GET /_control/outgoing": async () => outgoing,
  "GET /_control/following": async () => following,
  "GET /_control/inbox": async () => inboxPosts,
  "GET /_control/actors": async () => Object.fromEntries(actors),
  "POST /_control/lookup": async ({ url }) => {
    const c = ctx();
    const o = await lookupActor(c, url);
    const profile = isActor(o) ? await describeActor(c, o) : null;
    return {
      type: o.constructor.name,
      isActor: isActor(o),
      id: o.id?.href ?? null,
      preferredUsername: o.preferredUsername?.toString() ?? null,
      name: o.name?.toString() ?? null,
      inbox: o.inboxId?.href ?? null,
      sharedInbox: o.endpoints?.sharedInbox?.href ?? null,
      followers: o.followersId?.href ?? null,
      publicKeyId: (await o.getPublicKey?.())?.id?.href ?? null,
      summary: profile?.summary ?? null,
      fields: profile?.fields ?? null,
    };
  },
  "POST /_control/follow": async ({ target }) => {
    const c = ctx();
    const actor = await lookupActor(c, target);
    if (!isActor(actor)) throw new Error(`${target} is not an actor`);
    const followId = `${ORIGIN}/activities/follow-${++seq}`;
    const entry = { target: actor.id.href, followId, accepted: false };
    following.push(entry); // before sending: the Accept may arrive before the POST returns
    actors.set(actor.id.href, { ...(await describeActor(c, actor)), source: "lookup" });
    await c.sendActivity(
      { identifier: NAME },
      actor,
      new Follow({
        id: new URL(followId),
        actor: c.getActorUri(NAME),
        object: actor.id,
      }),
    );
    return entry;
  },
  "POST /_control/post": async ({ content, to = [] }) => {
    const c = ctx();
    const n = ++seq;
    const noteId = new URL(`${ORIGIN}/notes/${n}`);
    const extra = [];
    for (const url of to) extra.push(await lookupActor(c, url));
    const note = new Note({
      id: noteId,
      attribution: c.getActorUri(NAME),
      content,
      to: PUBLIC_COLLECTION,
      ccs: [c.getFollowersUri(NAME), ...extra.map((a) => a.id)],
    });
    const create = new Create({
      id: new URL(`${noteId.href}/activity`),
      actor: c.getActorUri(NAME),
      to: PUBLIC_COLLECTION,
      ccs: note.ccIds,
      object: note,
    });
    const recipients = [...followers.values(), ...extra];
    await c.sendActivity({ identifier: NAME }, recipients, create, {
      preferSharedInbox: true,
    });
    return { noteId: noteId.href, recipients: recipients.map((r) => r.id.href) };
  },
  "POST /_control/vote": async ({ question, name, to }) => {
    const c = ctx();
    const target = await lookupActor(c, to);
    if (!isActor(target)) throw new Error(`${to} is not an actor`);
    const noteId = new URL(`${ORIGIN}/users/${NAME}#votes/${++seq}`);
    const note = new Note({
      id: noteId,
      attribution: c.getActorUri(NAME),
      name,
      replyTarget: new URL(question),
      to: target.id,
    });
    const create = new Create({
      id: new URL(`${noteId.href}/activity`),
      actor: c.getActorUri(NAME),
      to: target.id,
      object: note,
    });
    await c.sendActivity({ identifier: NAME }, target, create);
    return { noteId: noteId.href, activityId: create.id.href };
  },
};

// ---- HTTP server: control API, else Fedify --------------------------------------------------
const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const url = new URL(req.url, ORIGIN);
  const send = (status, headers, payload) => {
    res.writeHead(status, headers);
    res.end(payload);
  };
  try {
    const handler = control[`${req.method} ${url.pathname}`];
    if (handler) {
      const input = body.length ? JSON.parse(body.toString("utf8")) : {};
      const out = await handler(input);
      return send(200, { "content-type": "application/json" }, JSON.stringify(out));
    }
    let inboxPost = null;
    if (req.method === "POST" && url.pathname.endsWith("inbox")) {
      inboxPost = { id: null, type: null, status: null, response: null };
      inboxPosts.push(inboxPost);
      try {
        const raw = JSON.parse(body.toString("utf8"));
        if (typeof raw.id === "string") rawById.set(raw.id, raw);
        inboxPost.id = raw.id ?? null;
        inboxPost.type = raw.type ?? null;
      } catch {
        // Fedify answers malformed bodies itself
      }
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    const request = new Request(url, {
      method: req.method,
      headers,
      body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
    });
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("not found", { status: 404 }),
      onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
    });
    const out = Buffer.from(await response.arrayBuffer());
    if (inboxPost) {
      inboxPost.status = response.status;
      inboxPost.response = out.toString("utf8").slice(0, 500);
    }
    send(response.status, Object.fromEntries(response.headers), out);
  } catch (e) {
    console.error(`[fedify ${NAME}] ${req.method} ${req.url}:`, e);
    send(500, { "content-type": "application/json" }, JSON.stringify({ error: String(e?.stack ?? e) }));
  }
});

keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];
server.listen(PORT, "127.0.0.1", () => {
  console.error(`[fedify ${NAME}] listening on ${ORIGIN} (firstKnock ${args["first-knock"]})`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
