// The WWW-Authenticate parser (RFC 9110 §11.6.1, §11.2): one header value
// may hold several challenges, each a scheme followed by either a token68
// or a comma-separated list of auth-params. Commas separate challenges and
// parameters alike, so `name=` after a comma continues the current
// challenge and a bare word starts the next one. Like authgate's Go parser
// (challenge.ParseLenient) it also reads what real servers send that bends
// the grammar: parameters with no comma between them, unquoted values
// holding '/' or ':', an unterminated quoted string, stray commas.

/** One challenge of a WWW-Authenticate header. */
export interface Challenge {
  /** The auth-scheme as sent ("Bearer"); compare it case-insensitively. */
  scheme: string;
  /** Parameters by lower-cased name; quoted values are unescaped. The first of duplicate names wins. */
  params: Record<string, string>;
  /** The token68 form (`Negotiate YII…==`), when the challenge has one. */
  token68?: string;
}

// Bounds on what one header value may cost: challenges, parameters per
// challenge, characters per value (as the Go parser).
const MAX_ITEMS = 32;
const MAX_VALUE = 1024;

// tchar of RFC 9110 §5.6.2.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
// token68 of RFC 9110 §11.2, followed by optional whitespace and then the
// end or a comma (otherwise what looked like a token68 is an auth-param).
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*[ \t]*(?:,|$)/;

/**
 * parseChallenges reads every challenge of a WWW-Authenticate value (several
 * header lines arrive joined with ", ", which the grammar allows). It never
 * throws: a malformed part is skipped up to the next comma. At most 32
 * challenges of 32 parameters are kept, values cut at 1024 characters.
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  const s = header;
  let i = 0;

  const skipSpace = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  // readQuoted reads a quoted-string at s[i] === '"', unescaping; an
  // unterminated one runs to the end.
  const readQuoted = (): string => {
    let value = "";
    i++; // opening quote
    while (i < s.length) {
      const c = s[i]!;
      if (c === "\\" && i + 1 < s.length) {
        value += s[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return value;
      } else {
        value += c;
        i++;
      }
    }
    return value;
  };
  // skipToComma abandons a malformed part: on to the next comma outside
  // quotes.
  const skipToComma = () => {
    while (i < s.length && s[i] !== ",") {
      if (s[i] === '"') {
        readQuoted();
      } else {
        i++;
      }
    }
  };

  while (i < s.length) {
    // Empty list elements (", ,") are allowed by the list syntax.
    while (i < s.length && (s[i] === "," || s[i] === " " || s[i] === "\t")) i++;
    if (i >= s.length) break;
    const scheme = readToken();
    if (!scheme) {
      skipToComma();
      continue;
    }
    const challenge: Challenge = { scheme, params: Object.create(null) as Record<string, string> };
    if (out.push(challenge) > MAX_ITEMS) {
      out.pop();
      break;
    }
    skipSpace();
    const t68 = s[i] === "," ? null : TOKEN68.exec(s.slice(i));
    if (t68) {
      challenge.token68 = t68[0].replace(/[ \t]*,?$/, "");
      i += challenge.token68.length;
      continue;
    }
    // auth-params (empty list elements allowed) until a word that is not
    // followed by '='.
    for (;;) {
      while (i < s.length && (s[i] === "," || s[i] === " " || s[i] === "\t")) i++;
      const start = i;
      const name = readToken();
      skipSpace();
      if (!name || s[i] !== "=") {
        // The next challenge's scheme (or garbage): leave it to the outer loop.
        i = start;
        if (!name) skipToComma();
        break;
      }
      i++; // '='
      skipSpace();
      let value: string;
      if (s[i] === '"') {
        value = readQuoted();
      } else {
        const from = i;
        while (i < s.length && !/[\s,]/.test(s[i]!)) i++;
        value = s.slice(from, i);
      }
      const key = name.toLowerCase();
      if (!(key in challenge.params) && Object.keys(challenge.params).length < MAX_ITEMS) {
        challenge.params[key] = value.slice(0, MAX_VALUE);
      }
    }
  }
  return out;
}
