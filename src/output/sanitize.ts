// The only way packet-derived text reaches a terminal or stdout in text mode. Bytes from the wire
// can carry escape sequences that retitle windows, clear screens or reprogram keys, and bidi
// overrides that make text read differently than it is. Everything that is not plain printable
// text is shown escaped, as tshark does (`\x1b`).

const HEX = '0123456789abcdef';

function escapeCode(c: number): string {
  switch (c) {
    case 0x09: return '\\t';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    default:
      if (c < 0x100) return '\\x' + HEX[c >> 4] + HEX[c & 15];
      return '\\u' + c.toString(16).padStart(4, '0');
  }
}

/** True for code points that must never be written raw: C0, DEL, C1, bidi controls, line/paragraph separators. */
export function isUnsafeCodePoint(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
    c === 0x061c || c === 0x200e || c === 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
    c === 0x2028 || c === 0x2029 || c === 0xfeff;
}

function needsEscape(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xdfff) || (c >= 0x200e && isUnsafeCodePoint(c)) || c === 0x061c;
}

/** Make a string safe for a terminal: unsafe code points and lone surrogates become escapes. */
export function sanitizeText(s: string): string {
  // Fast path: most values (numbers, addresses, names, Info text) need nothing.
  let i = 0;
  for (; i < s.length; i++) if (needsEscape(s.charCodeAt(i))) break;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const lo = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (lo >= 0xdc00 && lo <= 0xdfff) { out += s[i] + s[i + 1]; i++; continue; }
      out += escapeCode(c);
      continue;
    }
    if ((c >= 0xdc00 && c <= 0xdfff) || isUnsafeCodePoint(c)) out += escapeCode(c);
    else out += s[i];
  }
  return out;
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
