// @authgate/fetch: the browser's fetch wrapper for APIs behind authgate.
// No runtime dependencies; see README.md for the refresh contract and the
// CORS settings a cross-origin page needs.
export { createAuthFetch, type AuthFetch, type AuthFetchOptions } from "./fetch.js";
export { AuthError, parseRetryAfter } from "./error.js";
export { parseChallenges, type Challenge } from "./challenge.js";
