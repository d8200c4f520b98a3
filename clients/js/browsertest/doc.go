// Package browsertest drives clients/js, the browser's fetch wrapper, in
// Debian's Chromium against a real authgate gateway called from another
// origin. It holds tests only; the compiled ESM must be in ../dist
// (cd clients/js && npm ci && npm run build).
package browsertest
