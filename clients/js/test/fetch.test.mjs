// createAuthFetch against a fake fetch that answers like authgate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAuthFetch, AuthError } from "../dist/index.js";

const OLD = "eyJold.token.value";
const NEW = "eyJnew.token.value";
const formData = () => {
  const fd = new FormData();
  fd.set("field", "value");
  return fd;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// refusal is authgate's answer for reason with a Bearer challenge.
function refusal(status, reason, { error = "invalid_token", detail = `detail of ${reason}`, requestId = "rid-" + reason, headers = {} } = {}) {
  const h = new Headers({ "Content-Type": "application/problem+json", "Request-Id": requestId, ...headers });
  if (status === 401) {
    h.append("WWW-Authenticate", `Bearer realm="api"${error ? `, error="${error}", error_description="${detail}"` : ""}`);
    h.append("WWW-Authenticate", 'Basic realm="api", charset="UTF-8"');
  }
  const body = { type: `https://authgate.dev/reasons/${reason}`, title: reason, status, reason, detail, hint: "do something", request_id: requestId };
  return new Response(JSON.stringify(body), { status, headers: h });
}

// gateway is a fake fetch: tokens in valid pass, others get token_expired.
// It records every call's Authorization and body.
function gateway(valid = [NEW], delay = 5) {
  const calls = [];
  const fetch = async (input, init) => {
    const auth = new Headers(init?.headers).get("Authorization");
    const body = init?.body == null || typeof init.body === "string" ? init?.body : await new Response(init.body).text();
    calls.push({ url: String(input), auth, body });
    await sleep(delay);
    if (valid.some((t) => auth === `Bearer ${t}`)) return new Response(`{"ok":true}`, { status: 200, headers: { "Content-Type": "application/json" } });
    return refusal(401, "token_expired", { detail: "token expired 1h0m0s ago (leeway 30s)" });
  };
  return { fetch, calls };
}

test("attaches the token: Bearer in Authorization, or the key itself in another header", async () => {
  const g = gateway([OLD]);
  const f = createAuthFetch({ getToken: () => OLD, fetch: g.fetch });
  const res = await f("https://api.test/v1/data", { headers: { Accept: "application/json" } });
  assert.equal(res.status, 200);
  assert.equal(g.calls[0].auth, `Bearer ${OLD}`);

  let seen;
  const k = createAuthFetch({ getToken: async () => "ag_live_key", header: "X-API-Key", fetch: async (input, init) => {
    seen = new Headers(init.headers);
    return new Response("ok");
  } });
  await k(new Request("https://api.test/v1/data", { headers: { "X-Trace": "1" } }));
  assert.equal(seen.get("X-API-Key"), "ag_live_key");
  assert.equal(seen.get("X-Trace"), "1", "a Request's own headers are kept");
  assert.equal(seen.get("Authorization"), null);
});

test("single-flight refresh: five concurrent 401s → one refresh → five retries", async () => {
  const g = gateway([NEW]);
  let token = OLD;
  let refreshes = 0;
  const f = createAuthFetch({
    getToken: () => token,
    refresh: async () => {
      refreshes++;
      await sleep(30);
      token = NEW;
      return token;
    },
    onSignInRequired: () => assert.fail("sign-in required"),
    fetch: g.fetch,
  });
  const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => f(`https://api.test/v1/data?i=${i}`, { method: "POST", body: `{"i":${i}}` })));
  assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 200, 200]);
  assert.equal(refreshes, 1);
  assert.equal(g.calls.length, 10);
  assert.equal(g.calls.filter((c) => c.auth === `Bearer ${OLD}`).length, 5);
  const retries = g.calls.filter((c) => c.auth === `Bearer ${NEW}`);
  assert.equal(retries.length, 5);
  assert.deepEqual(retries.map((c) => c.body).sort(), [1, 2, 3, 4, 5].map((i) => `{"i":${i}}`), "each retry replays its own body");

  // A 401 for the old token answered after the refresh ended retries with
  // the new token, without a second refresh.
  const late = createAuthFetch({ getToken: () => OLD, refresh: async () => (refreshes++, NEW), fetch: g.fetch });
  await late("https://api.test/a");
  await late("https://api.test/b");
  assert.equal(refreshes, 2);
});

test("refresh failure → onSignInRequired once for the burst, every call rejects", async () => {
  const g = gateway([NEW]);
  let refreshes = 0;
  const signIns = [];
  const f = createAuthFetch({
    getToken: () => OLD,
    refresh: async () => {
      refreshes++;
      await sleep(20);
      throw new Error(`refresh token rejected (it was ${OLD})`);
    },
    onSignInRequired: (err) => signIns.push(err),
    fetch: g.fetch,
  });
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => f("https://api.test/v1/data")));
  assert.equal(refreshes, 1);
  assert.equal(signIns.length, 1);
  for (const r of results) {
    assert.equal(r.status, "rejected");
    assert.ok(r.reason instanceof AuthError);
    assert.equal(r.reason.status, 401);
    assert.equal(r.reason.reason, "token_expired");
    assert.equal(r.reason.requestId, "rid-token_expired");
    assert.match(r.reason.cause.message, /refresh token rejected/);
  }
  // A later call with the same dead token neither refreshes nor asks again.
  await assert.rejects(f("https://api.test/v1/data"), AuthError);
  assert.equal(refreshes, 1);
  assert.equal(signIns.length, 1);
});

test("the refreshed token refused too → onSignInRequired once, no second refresh", async () => {
  const g = gateway([]); // nothing passes
  let refreshes = 0;
  let signIns = 0;
  let token = OLD;
  const f = createAuthFetch({
    getToken: () => token,
    refresh: async () => (refreshes++, (token = NEW)),
    onSignInRequired: () => signIns++,
    fetch: g.fetch,
  });
  const results = await Promise.allSettled([1, 2, 3].map(() => f("https://api.test/v1/data")));
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected", "rejected"]);
  assert.equal(refreshes, 1);
  assert.equal(signIns, 1);
  assert.equal(g.calls.length, 6);
});

test("without refresh, an expired token goes straight to onSignInRequired", async () => {
  let signIns = 0;
  const f = createAuthFetch({ getToken: () => OLD, onSignInRequired: () => signIns++, fetch: gateway([]).fetch });
  await assert.rejects(f("https://api.test/v1/data"), { name: "AuthError", reason: "token_expired" });
  assert.equal(signIns, 1);
});

test("a 401 to a call sent without a token refreshes too (a session that can mint one)", async () => {
  const g = gateway([NEW]);
  let token = null;
  let refreshes = 0;
  const f = createAuthFetch({ getToken: () => token, refresh: async () => (refreshes++, (token = NEW)), fetch: g.fetch });
  assert.equal((await f("https://api.test/v1/data")).status, 200);
  assert.deepEqual(g.calls.map((c) => c.auth), [null, `Bearer ${NEW}`]);
  assert.equal(refreshes, 1);
});

test("401s a refresh cannot fix: no refresh, no retry, no sign-in", async () => {
  let calls = 0;
  let refreshes = 0;
  let signIns = 0;
  const f = createAuthFetch({
    getToken: () => "demo:wrong",
    refresh: async () => (refreshes++, NEW),
    onSignInRequired: () => signIns++,
    fetch: async () => (calls++, refusal(401, "basic_invalid", { error: "" })),
  });
  const err = await f("https://api.test/v1/data").catch((e) => e);
  assert.ok(err instanceof AuthError);
  assert.equal(err.reason, "basic_invalid");
  assert.equal(err.error, "");
  assert.deepEqual([calls, refreshes, signIns], [1, 0, 0]);
});

test("a body that cannot be replayed is not retried (the token is refreshed for the next call)", async () => {
  const g = gateway([NEW]);
  let token = OLD;
  let refreshes = 0;
  const f = createAuthFetch({ getToken: () => token, refresh: async () => (refreshes++, (token = NEW)), fetch: g.fetch });
  const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("streamed")); c.close(); } });
  await assert.rejects(f("https://api.test/upload", { method: "POST", body: stream, duplex: "half" }), { name: "AuthError", status: 401 });
  assert.equal(g.calls.length, 1);
  assert.equal(refreshes, 1);
  const res = await f("https://api.test/upload", { method: "POST", body: "again" });
  assert.equal(res.status, 200);

  // A Request's own body is not replayed either.
  token = OLD;
  const before = g.calls.length;
  const other = createAuthFetch({ getToken: () => OLD, refresh: async () => NEW, fetch: g.fetch });
  await assert.rejects(other(new Request("https://api.test/upload", { method: "POST", body: "in the request" })), AuthError);
  assert.equal(g.calls.length, before + 1);

  // Replayable: string, URLSearchParams, Blob, ArrayBuffer, typed arrays.
  for (const body of ["s", new URLSearchParams({ a: "1" }), new Blob(["b"]), new TextEncoder().encode("u8").buffer, new Uint8Array([104, 105]), formData()]) {
    const h = gateway([NEW]);
    const r = createAuthFetch({ getToken: () => OLD, refresh: async () => NEW, fetch: h.fetch });
    assert.equal((await r("https://api.test/x", { method: "POST", body })).status, 200, String(body));
    assert.equal(h.calls.length, 2);
    const boundless = (b) => b.replace(/-+formdata-[\w-]+/g, "--B"); // FormData gets a new boundary each time
    assert.equal(boundless(h.calls[1].body), boundless(h.calls[0].body));
  }
});

test("429 with Retry-After: waits, then succeeds", async () => {
  const times = [];
  const f = createAuthFetch({
    getToken: () => NEW,
    fetch: async () => {
      times.push(Date.now());
      return times.length === 1 ? refusal(429, "too_many_failures", { headers: { "Retry-After": "1" } }) : new Response("ok");
    },
  });
  const res = await f("https://api.test/v1/data");
  assert.equal(res.status, 200);
  assert.equal(times.length, 2);
  assert.ok(times[1] - times[0] >= 950, `waited ${times[1] - times[0]}ms`);
});

test("429/503: bounded retries, too long a wait, no Retry-After, abort during the wait", async () => {
  let calls = 0;
  const busy = (after) => async () => (calls++, refusal(503, "auth_unavailable", { headers: after === null ? {} : { "Retry-After": after } }));

  calls = 0;
  const bounded = createAuthFetch({ getToken: () => NEW, maxRetries: 2, fetch: busy("0") });
  await assert.rejects(bounded("https://api.test/"), { name: "AuthError", status: 503, reason: "auth_unavailable", retryAfter: 0 });
  assert.equal(calls, 3);

  calls = 0;
  const long = createAuthFetch({ getToken: () => NEW, maxRetryAfter: 30, fetch: busy("3600") });
  await assert.rejects(long("https://api.test/"), { status: 503, retryAfter: 3600_000 });
  assert.equal(calls, 1);

  calls = 0;
  await assert.rejects(createAuthFetch({ getToken: () => NEW, fetch: busy(null) })("https://api.test/"), { status: 503 });
  assert.equal(calls, 1);

  calls = 0;
  const ctl = new AbortController();
  const start = Date.now();
  setTimeout(() => ctl.abort(), 50);
  await assert.rejects(createAuthFetch({ getToken: () => NEW, fetch: busy("10") })("https://api.test/", { signal: ctl.signal }), { name: "AbortError" });
  assert.ok(Date.now() - start < 2000, "the abort ended the wait");
  assert.equal(calls, 1);
});

test("other statuses: 403 rejects with the reason, 404 and 500 resolve as fetch does", async () => {
  const answers = { "/forbidden": () => refusal(403, "insufficient_scope"), "/missing": () => new Response("no", { status: 404 }), "/broken": () => new Response("", { status: 500 }) };
  const f = createAuthFetch({ getToken: () => NEW, fetch: async (input) => answers[new URL(input).pathname]() });
  await assert.rejects(f("https://api.test/forbidden"), { name: "AuthError", status: 403, reason: "insufficient_scope", hint: "do something" });
  assert.equal((await f("https://api.test/missing")).status, 404);
  assert.equal((await f("https://api.test/broken")).status, 500);
});

test("AuthError reads the challenge when there is no problem body", async () => {
  const f = createAuthFetch({
    getToken: () => NEW,
    fetch: async () => new Response("", { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="x", error="invalid_token", error_description="The access token expired"' } }),
  });
  const err = await f("https://api.test/").catch((e) => e);
  assert.equal(err.reason, "invalid_token");
  assert.equal(err.error, "invalid_token");
  assert.equal(err.detail, "The access token expired");
  assert.equal(err.requestId, "");
  assert.equal(err.message, "401 invalid_token: The access token expired");
  assert.equal(err.challenges.length, 1);
});

test("the token never appears in an error, even when the server echoes it", async () => {
  const secret = "eyJsecret.payload.signature";
  const f = createAuthFetch({
    getToken: () => secret,
    refresh: async () => {
      throw new Error("refresh failed");
    },
    fetch: async () =>
      refusal(401, "token_expired", { detail: `your token ${secret} expired`, requestId: `rid ${secret}`, headers: { "Retry-After": "1" } }),
  });
  const err = await f("https://api.test/").catch((e) => e);
  assert.ok(err instanceof AuthError);
  const everything = [err.message, err.stack, err.detail, err.requestId, JSON.stringify(err), String(err),
    JSON.stringify(err.challenges), JSON.stringify(err.cause?.message)].join("\n");
  assert.ok(!everything.includes(secret), everything);
  assert.ok(!everything.includes("payload"), everything);
  assert.match(err.detail, /your token \[redacted\] expired/);

  // A token a header cannot carry: the TypeError does not quote it.
  const bad = "eyJabc\ndef";
  const g = createAuthFetch({ getToken: () => bad, fetch: async () => new Response("") });
  const typeErr = await g("https://api.test/").catch((e) => e);
  assert.ok(typeErr instanceof TypeError);
  assert.ok(!typeErr.message.includes("eyJabc"), typeErr.message);
});
