import { AuthError } from "./error.js";

type Token = string | null | undefined;

/** How createAuthFetch gets, refreshes and gives up on a credential. */
export interface AuthFetchOptions {
  /**
   * getToken returns the current access token (or API key), asked before
   * every request; null or undefined sends the request without one.
   */
  getToken: () => Token | Promise<Token>;
  /**
   * refresh obtains a new token after a 401 `invalid_token` and returns it;
   * it should also store it where getToken reads it. It is called once for
   * any number of concurrent 401s. Throwing, or returning no token, means
   * the user must sign in again. Without refresh, such a 401 goes straight
   * to onSignInRequired.
   */
  refresh?: () => Promise<Token>;
  /**
   * onSignInRequired is called when no working token can be had: refresh
   * failed, or the retry with the refreshed token was refused too. It is
   * called once per dead token, however many requests failed with it; the
   * requests still reject with the AuthError.
   */
  onSignInRequired?: (error: AuthError) => void;
  /**
   * header carries the token: "Authorization" (the default) sends
   * `Bearer <token>`; any other name (e.g. "X-API-Key") sends the token
   * itself. A cross-origin page needs the gateway's CORS to allow it.
   */
  header?: string;
  /** How many times a 429 or 503 with Retry-After is retried (default 2). */
  maxRetries?: number;
  /** The longest Retry-After waited, in seconds (default 30); a longer one rejects at once. */
  maxRetryAfter?: number;
  /** The fetch to wrap (default: the global fetch). */
  fetch?: typeof fetch;
}

/** The wrapped fetch: same arguments as fetch. */
export type AuthFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

// NONE is "no token has been given up on yet" (null is a token value here:
// the absence of one).
const NONE = Symbol("none");

/**
 * createAuthFetch wraps fetch for a browser calling an API behind authgate
 * (or any RFC 6750 resource server). The returned function:
 *
 * - attaches the token from getToken;
 * - on 401 with `error="invalid_token"` (or authgate's reason
 *   `token_expired`), or a 401 to a request sent without a token, refreshes
 *   once — concurrent 401s share one refresh — and retries once, when the
 *   body can be sent again (no body, a string, Blob, ArrayBuffer, typed
 *   array, URLSearchParams or FormData in init.body; not a ReadableStream
 *   or a Request's own body);
 * - on 429 or 503 with Retry-After, waits and retries (bounded; an abort of
 *   the request's signal ends the wait);
 * - rejects with an AuthError on 401, 403, and a 429/503 it did not retry;
 *   resolves with the Response for every other status, as fetch does.
 */
export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const headerName = options.header ?? "Authorization";
  const bearer = headerName.toLowerCase() === "authorization";
  const maxRetries = options.maxRetries ?? 2;
  const maxWait = (options.maxRetryAfter ?? 30) * 1000;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  // The refresh under way, shared by every 401 that arrives meanwhile.
  let inflight: Promise<string> | null = null;
  // The last refresh that worked: a 401 for its old token, answered after
  // it ended, retries with its new one instead of refreshing again.
  let last: { from: Token; to: string } | null = null;
  // The token given up on: later 401s for it neither refresh nor call
  // onSignInRequired again.
  let dead: Token | typeof NONE = NONE;

  const signIn = (token: Token, error: AuthError) => {
    if (dead === token) return;
    dead = token;
    try {
      options.onSignInRequired?.(error);
    } catch {
      // The application's handler must not change what the caller sees.
    }
  };

  const refreshFrom = async (from: Token): Promise<string> => {
    if (last && last.from === from) return last.to;
    const current = await options.getToken();
    if (current && current !== from) return current; // someone else refreshed
    if (dead === from) throw new Error("sign-in required");
    if (!inflight) {
      const refresh = options.refresh!;
      inflight = (async () => {
        const to = await refresh();
        if (!to) throw new Error("refresh returned no token");
        last = { from, to };
        return to;
      })();
      const done = () => {
        inflight = null;
      };
      inflight.then(done, done);
    }
    return inflight;
  };

  return async function authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const signal = init?.signal ?? (isRequest(input) ? input.signal : undefined);
    const replayable = canReplay(input, init);
    let token: Token = await options.getToken();
    let refreshed = false;
    let waits = 0;
    for (;;) {
      signal?.throwIfAborted();
      const response = await doFetch(input, withToken(input, init, headerName, bearer, token));
      const { status } = response;
      if (status === 401) {
        const error = await AuthError.from(response, token);
        const expired = !token || error.error === "invalid_token" || error.reason === "token_expired";
        if (!expired) throw error;
        if (refreshed || !options.refresh) {
          // The refreshed token was refused too, or there is no way to get one.
          signIn(token, error);
          throw error;
        }
        let next: string;
        try {
          next = await refreshFrom(token);
        } catch (cause) {
          const failed = new AuthError({ ...fieldsOf(error), cause });
          signIn(token, failed);
          throw failed;
        }
        if (!replayable) throw error; // the next call uses the new token
        token = next;
        refreshed = true;
        continue;
      }
      if (status === 429 || status === 503) {
        const error = await AuthError.from(response, token);
        const wait = error.retryAfter;
        if (wait === undefined || wait > maxWait || waits >= maxRetries || !replayable) throw error;
        waits++;
        await sleep(wait, signal);
        continue;
      }
      if (status === 403) throw await AuthError.from(response, token);
      return response;
    }
  };
}

// fieldsOf copies an AuthError's fields, to make one with another cause.
function fieldsOf(e: AuthError) {
  return {
    status: e.status,
    reason: e.reason,
    error: e.error,
    detail: e.detail,
    hint: e.hint,
    requestId: e.requestId,
    challenges: e.challenges,
    retryAfter: e.retryAfter,
  };
}

function isRequest(input: unknown): input is Request {
  return typeof Request !== "undefined" && input instanceof Request;
}

// withToken is init with the token in its headers (merged over a Request's
// own, which init's headers would otherwise replace).
function withToken(input: RequestInfo | URL, init: RequestInit | undefined, name: string, bearer: boolean, token: Token): RequestInit {
  const headers = new Headers(isRequest(input) ? input.headers : undefined);
  new Headers(init?.headers).forEach((value, key) => headers.set(key, value));
  if (token) {
    try {
      headers.set(name, bearer ? `Bearer ${token}` : token);
    } catch {
      // The platform's message may quote the value: say it without it.
      throw new TypeError(`the token is not a valid ${name} header value: it holds a line break or another character a header cannot carry`);
    }
  }
  return { ...init, headers };
}

// canReplay reports whether the request's body can be sent a second time.
function canReplay(input: RequestInfo | URL, init: RequestInit | undefined): boolean {
  const body = init?.body;
  if (body == null) return !(isRequest(input) && input.body !== null);
  return (
    typeof body === "string" ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    (typeof Blob !== "undefined" && body instanceof Blob) ||
    (typeof URLSearchParams !== "undefined" && body instanceof URLSearchParams) ||
    (typeof FormData !== "undefined" && body instanceof FormData)
  );
}

// sleep waits ms, or rejects with the signal's reason when it aborts.
function sleep(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
