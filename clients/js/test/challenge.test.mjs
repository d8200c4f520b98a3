// The WWW-Authenticate parser: the cases a reader would ask about, the
// tricky quoting first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseChallenges, parseRetryAfter } from "../dist/index.js";

// c builds an expected challenge.
const c = (scheme, params = {}, token68) => (token68 === undefined ? { scheme, params } : { scheme, params, token68 });

const cases = [
  ["empty", "", []],
  ["bare scheme", "Bearer", [c("Bearer")]],
  ["authgate's 401 (RFC 6750 §3)", 'Bearer realm="api", error="invalid_token", error_description="token expired 3m12s ago (leeway 30s)"',
    [c("Bearer", { realm: "api", error: "invalid_token", error_description: "token expired 3m12s ago (leeway 30s)" })]],
  ["several challenges in one header", 'Bearer realm="api", error="invalid_token", Basic realm="api", charset="UTF-8"',
    [c("Bearer", { realm: "api", error: "invalid_token" }), c("Basic", { realm: "api", charset: "UTF-8" })]],
  ["RFC 9110 §11.6.1's example", 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
    [c("Newauth", { realm: "apps", type: "1", title: 'Login to "apps"' }), c("Basic", { realm: "simple" })]],
  ["comma and equals inside quotes", 'Bearer error_description="a, b=c, Basic realm=x", error="invalid_token"',
    [c("Bearer", { error_description: "a, b=c, Basic realm=x", error: "invalid_token" })]],
  ["escaped backslash before the closing quote", 'Basic realm="a\\\\", charset="UTF-8"', [c("Basic", { realm: "a\\", charset: "UTF-8" })]],
  ["escaped ordinary character", 'Basic realm="\\a\\b"', [c("Basic", { realm: "ab" })]],
  ["empty quoted value", 'Bearer realm=""', [c("Bearer", { realm: "" })]],
  ["scheme and names case-insensitive: names lower-cased", 'bEaReR Realm="x", ERROR=invalid_token', [c("bEaReR", { realm: "x", error: "invalid_token" })]],
  ["whitespace around '='", 'Bearer realm = "x" , error =invalid_token', [c("Bearer", { realm: "x", error: "invalid_token" })]],
  ["token68", "Negotiate YII+/abc==", [c("Negotiate", {}, "YII+/abc==")]],
  ["token68 then another challenge", "Negotiate abc=, Bearer realm=api", [c("Negotiate", {}, "abc="), c("Bearer", { realm: "api" })]],
  ["bare schemes among others", 'Negotiate, Basic realm="x", ApiKey', [c("Negotiate"), c("Basic", { realm: "x" }), c("ApiKey")]],
  ["header lines joined by fetch", 'Bearer realm="api", Basic realm="api"', [c("Bearer", { realm: "api" }), c("Basic", { realm: "api" })]],
  ["stray commas", ', Bearer ,, realm="api",', [c("Bearer", { realm: "api" })]],
  ["duplicate parameter: the first wins", 'Bearer error="invalid_token", error="x"', [c("Bearer", { error: "invalid_token" })]],
  ["no commas between parameters (Google Frontend)", 'Bearer error="invalid_token" error_description="The access token could not be verified"',
    [c("Bearer", { error: "invalid_token", error_description: "The access token could not be verified" })]],
  ["unquoted value with / and : (a registry)", "Bearer realm=https://auth.example.com/token,service=registry.example.com",
    [c("Bearer", { realm: "https://auth.example.com/token", service: "registry.example.com" })]],
  ["unterminated quoted string", 'Basic realm="a \\"b\\" c', [c("Basic", { realm: 'a "b" c' })]],
];

for (const [name, header, want] of cases) {
  test(`parseChallenges: ${name}`, () => {
    // Compare plain objects: params have no prototype.
    const got = parseChallenges(header).map((ch) => ({ ...ch, params: { ...ch.params } }));
    assert.deepEqual(got, want);
  });
}

test("parseChallenges: parameters named like Object properties are plain parameters", () => {
  const [ch] = parseChallenges('Bearer constructor="x", __proto__="y", toString=z');
  assert.equal(Object.getPrototypeOf(ch.params), null);
  assert.deepEqual(Object.keys(ch.params), ["constructor", "__proto__", "tostring"]);
  assert.equal(ch.params.__proto__, "y");
  assert.equal(parseChallenges('Bearer realm="x"')[0].params.constructor, undefined);
});

test("parseChallenges: bounded (32 challenges, 32 parameters, 1024-character values)", () => {
  assert.equal(parseChallenges("A, ".repeat(100)).length, 32);
  const params = Array.from({ length: 100 }, (_, i) => `p${i}=v`).join(", ");
  assert.equal(Object.keys(parseChallenges("Bearer " + params)[0].params).length, 32);
  assert.equal(parseChallenges(`Bearer realm="${"x".repeat(5000)}"`)[0].params.realm.length, 1024);
});

test("parseChallenges: garbage never throws", () => {
  for (const h of ['"', "=", "==,==", '\\', 'Bearer ="x"', "Bearer realm=", 'Bearer realm="\\', "@@@ Bearer", "\t,\t"]) {
    assert.doesNotThrow(() => parseChallenges(h), h);
  }
});

test("parseRetryAfter: seconds, HTTP-date, and what is neither", () => {
  const now = Date.parse("Sun, 06 Dec 2026 20:00:00 GMT");
  assert.equal(parseRetryAfter("3", now), 3000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Sun, 06 Dec 2026 20:00:05 GMT", now), 5000);
  assert.equal(parseRetryAfter("Sun, 06 Dec 2026 19:00:00 GMT", now), 0);
  for (const bad of [null, "", "-1", "1.5", "soon"]) assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
});
