// The only way packet-derived text reaches a terminal or stdout in text mode. Bytes from the wire
// can carry escape sequences that retitle windows, clear screens or reprogram keys, and bidi
// overrides that make text read differently than it is. Everything that is not plain printable
// text is shown escaped, as tshark does (`\x1b`).

const HEX = '0123456789abcdef';

/**
 * One notation for every escape, the one of C and of Wireshark's filter strings: `\t \n \r`, then
 * `\xNN` below U+0100 (C0, DEL, C1 and the bytes that are not UTF-8), `\uNNNN` in the BMP and
 * `\UNNNNNNNN` above it.
 */
function escapeCode(c: number): string {
  switch (c) {
    case 0x09: return '\\t';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    default:
      if (c < 0x100) return '\\x' + HEX[c >> 4] + HEX[c & 15];
      if (c < 0x10000) return '\\u' + c.toString(16).padStart(4, '0');
      return '\\U' + c.toString(16).padStart(8, '0');
  }
}

// Unicode's "format" characters (general category Cf) draw nothing and change how what follows is
// shown: bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder text, and
// zero-width spaces and joiners (U+200B–U+200D, U+2060, U+FEFF) hide inside names so that two
// different strings look the same. All of them are escaped, as are the line and paragraph
// separators (U+2028, U+2029) and the Arabic letter mark (U+061C, Cf too).
const FORMAT = /^\p{Cf}$/u;

/** For each BMP code unit, whether it is written escaped (2: a surrogate, decided by what is next to it). */
const UNSAFE_BMP = (() => {
  const t = new Uint8Array(0x10000);
  for (let c = 0; c < 0x20; c++) t[c] = 1;
  for (let c = 0x7f; c <= 0x9f; c++) t[c] = 1;
  t[0x2028] = t[0x2029] = 1;
  t.fill(2, 0xd800, 0xe000);
  // One pass of the Unicode tables over the whole BMP (testing each code point alone costs 15 ms at start-up).
  const codes = new Uint16Array(0x10000 - 0x800);
  for (let c = 0, k = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) codes[k++] = c;
  const all = Buffer.from(codes.buffer).toString('utf16le');
  for (const m of all.matchAll(/\p{Cf}/gu)) t[m[0].charCodeAt(0)] = 1;
  return t;
})();

/** True for code points that must never be written raw: C0, DEL, C1, format characters (Cf), line/paragraph separators. */
export function isUnsafeCodePoint(c: number): boolean {
  if (c < 0x10000) return UNSAFE_BMP[c] === 1;
  // Above the BMP, Cf holds tags (U+E0001, U+E0020–U+E007F) and a few script-specific controls.
  return c <= 0x10ffff && FORMAT.test(String.fromCodePoint(c));
}

/** Make a string safe for a terminal: unsafe code points and lone surrogates become escapes. */
export function sanitizeText(s: string): string {
  // Fast path: most values (numbers, addresses, names, Info text) need nothing.
  let i = 0;
  for (; i < s.length; i++) if (UNSAFE_BMP[s.charCodeAt(i)] !== 0) break;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const lo = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        out += isUnsafeCodePoint(cp) ? escapeCode(cp) : s[i] + s[i + 1];
        i++;
        continue;
      }
      out += escapeCode(c);
      continue;
    }
    out += UNSAFE_BMP[c] !== 0 ? escapeCode(c) : s[i];
  }
  return out;
}

/**
 * UTF-8 of `s` into `b` at `p` when it needs no escape, in the same pass that checks it: the end,
 * or -1 when some code unit is unsafe or a surrogate (the caller then writes sanitizeText(s)). The
 * caller leaves room for 3 bytes per code unit; what was written before -1 is not used.
 */
export function encodeSafeText(s: string, b: Uint8Array, p: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f) return -1;
      b[p++] = c;
    } else {
      if (UNSAFE_BMP[c] !== 0) return -1;
      if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 63);
      } else {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      }
    }
  }
  return p;
}

/**
 * Text of several lines for a terminal (what a chat peer sent): each line sanitized, the line
 * breaks kept.
 */
export function sanitizeLines(s: string): string {
  if (s.indexOf('\n') < 0) return sanitizeText(s);
  return s.split('\n').map(sanitizeText).join('\n');
}

/**
 * Decode bytes as UTF-8 for display: valid sequences of safe characters pass, invalid bytes and
 * unsafe characters are escaped (`\xff`, `\x1b`). Never throws, never reads past `off + len`.
 */
export function sanitizeBytes(buf: Buffer, off: number, len: number): string {
  let out = '';
  const end = off + len;
  let i = off;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) {
      out += b < 0x20 || b === 0x7f ? escapeCode(b) : String.fromCharCode(b);
      i++;
      continue;
    }
    let need = 0, cp = 0, min = 0;
    if ((b & 0xe0) === 0xc0) { need = 1; cp = b & 0x1f; min = 0x80; }
    else if ((b & 0xf0) === 0xe0) { need = 2; cp = b & 0x0f; min = 0x800; }
    else if ((b & 0xf8) === 0xf0) { need = 3; cp = b & 0x07; min = 0x10000; }
    else { out += escapeCode(b); i++; continue; }
    if (i + need >= end) { out += escapeCode(b); i++; continue; }
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const cb = buf[i + k];
      if ((cb & 0xc0) !== 0x80) { ok = false; break; }
      cp = (cp << 6) | (cb & 0x3f);
    }
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) { out += escapeCode(b); i++; continue; }
    out += isUnsafeCodePoint(cp) ? escapeCode(cp) : String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

/** One byte as the ASCII column of a hex dump shows it: printable ASCII or '.'. */
export function asciiOrDot(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

/** JSON's short escapes for C0 controls, the others as \u00XX (tshark's json_dumper table). */
const JSON_CONTROL = Array.from({ length: 0x20 }, (_, c) =>
  ({ 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' } as Record<number, string>)[c] ?? `\\u${c.toString(16).padStart(4, '0')}`);
const jsonUnit = (c: number): string => `\\u${c.toString(16).padStart(4, '0')}`;

/** A character jsonQuoted escapes or must look at: outside printable ASCII, a quote or a backslash (`</` is looked for apart). */
const JSON_NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/**
 * `s` as a quoted JSON string, escaped as tshark's json_dumper escapes it (C0 controls, `"` and `\`,
 * and `/` after `<`, so that `</script>` cannot end a web page's script), and with every code point a
 * terminal would act on (DEL, C1, format characters, lone surrogates) written as \uXXXX, so that the
 * text parses back to the same string and reaches no terminal raw.
 */
export function jsonQuoted(s: string): string {
  if (s === lastQuoted.s) return lastQuoted.quoted;
  const quoted = jsonQuotedNow(s);
  if (s.length >= 64) {
    // tshark's JSON gives a header's value three times over (Value, the named field, Unescaped):
    // the second and third are the first's string, and come back here one after the other.
    lastQuoted.s = s;
    lastQuoted.quoted = quoted;
  }
  return quoted;
}
const lastQuoted = { s: '', quoted: '""' };

function jsonQuotedNow(s: string): string {
  // Most values are printable ASCII with nothing to escape: one regular-expression scan says so
  // several times faster than the loop below, which matters for long header values.
  if (!JSON_NEEDS_ESCAPE.test(s) && !s.includes('</')) return '"' + s + '"';
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string;
    if (c < 0x20) esc = JSON_CONTROL[c];
    else if (c === 0x22 || c === 0x5c) esc = c === 0x22 ? '\\"' : '\\\\';
    else if (c === 0x2f && i > 0 && s.charCodeAt(i - 1) === 0x3c) esc = '\\/';
    else if (UNSAFE_BMP[c] === 0) continue;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      const lo = s.charCodeAt(i + 1);
      const unsafe = isUnsafeCodePoint(0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00));
      out += s.slice(from, i) + (unsafe ? jsonUnit(c) + jsonUnit(lo) : s[i] + s[i + 1]);
      from = ++i + 1;
      continue;
    } else esc = jsonUnit(c);
    out += s.slice(from, i) + esc;
    from = i + 1;
  }
  return out + s.slice(from) + '"';
}
