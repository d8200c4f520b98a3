import { type Challenge, parseChallenges } from "./challenge.js";

/** The fields of authgate's problem body (RFC 9457) this client reads. */
interface Problem {
  type?: unknown;
  title?: unknown;
  status?: unknown;
  reason?: unknown;
  detail?: unknown;
  hint?: unknown;
  request_id?: unknown;
}

// Larger bodies are not problem documents worth reading.
const MAX_BODY = 64 * 1024;

/**
 * AuthError is a refusal (401, 403, or a 429/503 that outlasted its
 * retries), with why it happened: the reason code and detail of the
 * problem+json body, the RFC 6750 `error` of the challenge, and the
 * Request-Id that finds the gateway's log line. It never holds the
 * credential: a server that echoes it back sees it replaced by
 * "[redacted]".
 */
export class AuthError extends Error {
  override name = "AuthError";
  /** The HTTP status. */
  readonly status: number;
  /** authgate's reason code (`token_expired`), else the challenge's `error`, else "". */
  readonly reason: string;
  /** The RFC 6750 `error` of the challenge (`invalid_token`), or "". */
  readonly error: string;
  /** What went wrong, from the problem body's detail or the challenge's error_description. */
  readonly detail: string;
  /** What to do about it (authgate's hint), or "". */
  readonly hint: string;
  /** The Request-Id header (or the body's request_id): quote it to the API's operator. */
  readonly requestId: string;
  /** Every challenge of WWW-Authenticate (empty when the header is absent or not exposed by CORS). */
  readonly challenges: Challenge[];
  /** Milliseconds the server asked to wait (Retry-After), when it did. */
  readonly retryAfter: number | undefined;

  constructor(init: {
    status: number;
    reason?: string;
    error?: string;
    detail?: string;
    hint?: string;
    requestId?: string;
    challenges?: Challenge[];
    retryAfter?: number | undefined;
    cause?: unknown;
  }) {
    const reason = init.reason || init.error || "";
    const detail = init.detail ?? "";
    const requestId = init.requestId ?? "";
    let message = `${init.status}${reason ? " " + reason : ""}`;
    if (detail) message += `: ${detail}`;
    if (requestId) message += ` (Request-Id ${requestId})`;
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.reason = reason;
    this.error = init.error ?? "";
    this.detail = detail;
    this.hint = init.hint ?? "";
    this.requestId = requestId;
    this.challenges = init.challenges ?? [];
    this.retryAfter = init.retryAfter;
  }

  /**
   * from reads the refusal in response (consuming its body). secret, the
   * credential that was sent, is redacted from everything the server said.
   */
  static async from(response: Response, secret?: string | null, cause?: unknown): Promise<AuthError> {
    const redact = (v: unknown): string => {
      const s = typeof v === "string" ? v : "";
      return secret ? s.split(secret).join("[redacted]") : s;
    };
    let problem: Problem = {};
    const type = (response.headers.get("Content-Type") ?? "").toLowerCase();
    if (/^application\/(?:[\w.+-]+\+)?json\b/.test(type)) {
      try {
        const text = await response.text();
        if (text.length <= MAX_BODY) {
          const parsed: unknown = JSON.parse(text);
          if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) problem = parsed as Problem;
        }
      } catch {
        // Not a problem document: the challenge alone explains the refusal.
      }
    } else {
      await response.body?.cancel().catch(() => {});
    }
    const challenges = parseChallenges(response.headers.get("WWW-Authenticate"));
    // The Bearer challenge speaks for a Bearer token; any challenge with an
    // error otherwise (an API-key scheme, another Bearer-like scheme).
    const withError =
      challenges.find((c) => c.scheme.toLowerCase() === "bearer" && c.params["error"]) ??
      challenges.find((c) => c.params["error"]);
    for (const c of challenges) {
      for (const k of Object.keys(c.params)) c.params[k] = redact(c.params[k]);
      if (c.token68 !== undefined) c.token68 = redact(c.token68);
    }
    return new AuthError({
      status: response.status,
      reason: redact(problem.reason),
      error: redact(withError?.params["error"]),
      detail: redact(problem.detail) || redact(withError?.params["error_description"]),
      hint: redact(problem.hint),
      requestId: redact(response.headers.get("Request-Id") ?? "") || redact(problem.request_id),
      challenges,
      retryAfter: parseRetryAfter(response.headers.get("Retry-After")),
      cause,
    });
  }
}

/**
 * parseRetryAfter turns a Retry-After value (delay-seconds or an HTTP-date,
 * RFC 9110 §10.2.3) into milliseconds from now; undefined when absent or
 * unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined; // "-1", "1.5": neither form
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
