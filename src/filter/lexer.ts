// Tokens of Wireshark's display filter language (wireshark-filter(4), as tshark 4.0 reads it).
//
// The one surprising rule is Wireshark's: a bare word runs over letters, digits and `_ . : -`, so
// `aa-bb-cc`, `fe80::1`, `10.0.0.1` and `tcp.flags.syn` are each one word, and subtraction needs a
// space before the minus (`tcp.len -1`). What a word means (field, number, address, bytes) is
// decided later, once the type of the other side of a comparison is known.

export const enum T {
  End,
  /** A field name or an unquoted literal. */
  Word,
  /** "...", with escapes resolved; `bytes` holds the exact bytes (\xNN may be any byte). */
  String,
  /** 'c', a character constant: an integer. */
  Char,
  /** `[...]` after a value: the slice text between the brackets. */
  Slice,
  LParen,
  RParen,
  LBrace,
  RBrace,
  Comma,
  DotDot,
  /** Comparison and matching operators: text holds the canonical spelling (`==`, `contains`, …). */
  Rel,
  And,
  Or,
  Xor,
  Not,
  In,
  Any,
  All,
  BitAnd,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  /** `#` (layer operator) and `${` (field reference): recognised only to say they are not supported. */
  Hash,
  FieldRef,
}

export interface Token {
  t: T;
  /** Canonical text: the word, the operator's C-like spelling, the decoded string. */
  text: string;
  /** 0-based offset of the first character in the filter text. */
  pos: number;
  /** Length in the filter text. */
  len: number;
  /** Decoded bytes of a string literal. */
  bytes?: Buffer;
  /** r"..." (backslashes kept). */
  raw?: boolean;
  /** Value of a character constant. */
  value?: number;
}

/** A mistake in the filter text at a 0-based offset; index.ts turns it into a message with a column. */
export class FilterSyntaxError extends Error {
  constructor(readonly pos: number, readonly reason: string) {
    super(reason);
  }
}

// A Map, not an object: a word such as `constructor` or `__proto__` must not find Object.prototype.
const KEYWORDS = new Map<string, [T, string]>([
  ['and', [T.And, '&&']],
  ['or', [T.Or, '||']],
  ['xor', [T.Xor, '^^']],
  ['not', [T.Not, '!']],
  ['in', [T.In, 'in']],
  ['any', [T.Any, 'any']],
  ['all', [T.All, 'all']],
  ['eq', [T.Rel, '==']],
  ['any_eq', [T.Rel, '==']],
  ['ne', [T.Rel, '!=']],
  ['all_ne', [T.Rel, '!=']],
  ['all_eq', [T.Rel, '===']],
  ['any_ne', [T.Rel, '!==']],
  ['gt', [T.Rel, '>']],
  ['lt', [T.Rel, '<']],
  ['ge', [T.Rel, '>=']],
  ['le', [T.Rel, '<=']],
  ['contains', [T.Rel, 'contains']],
  ['matches', [T.Rel, 'matches']],
  ['bitwise_and', [T.BitAnd, '&']],
]);

// Longest first, so `!==` wins over `!=` and `!`.
const SYMBOLS: [string, T, string][] = [
  ['===', T.Rel, '==='], ['!==', T.Rel, '!=='],
  ['==', T.Rel, '=='], ['!=', T.Rel, '!='], ['~=', T.Rel, '!=='], ['<=', T.Rel, '<='], ['>=', T.Rel, '>='],
  ['&&', T.And, '&&'], ['||', T.Or, '||'], ['^^', T.Xor, '^^'], ['..', T.DotDot, '..'], ['${', T.FieldRef, '${'],
  ['<', T.Rel, '<'], ['>', T.Rel, '>'], ['~', T.Rel, 'matches'], ['!', T.Not, '!'], ['&', T.BitAnd, '&'],
  ['(', T.LParen, '('], [')', T.RParen, ')'], ['{', T.LBrace, '{'], ['}', T.RBrace, '}'], [',', T.Comma, ','],
  ['+', T.Plus, '+'], ['-', T.Minus, '-'], ['*', T.Star, '*'], ['/', T.Slash, '/'], ['%', T.Percent, '%'],
  ['#', T.Hash, '#'],
];

const isWordStart = (c: string): boolean => /[A-Za-z0-9_:]/.test(c);
const isWordChar = (c: string): boolean => /[A-Za-z0-9_.:\-]/.test(c);
// A CIDR suffix belongs to the address before it: `10.0.0.0/8`, `fe80::/10`. Two tests, not one
// pattern with `[…]*:[…]*`, which backtracks quadratically over a long word of colons.
const IPV4_TEXT = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]*$/;
const isIpBeforeSlash = (w: string): boolean => IPV4_TEXT.test(w) || (w.includes(':') && IPV6_CHARS.test(w));

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const start = i;

    if (c === '"' || (c === 'r' && src[i + 1] === '"')) {
      const raw = c !== '"';
      const { bytes, end } = readString(src, raw ? i + 1 : i, raw);
      out.push({ t: T.String, text: bytes.toString('utf8'), bytes, raw, pos: start, len: end - start });
      i = end;
      continue;
    }
    if (c === "'") {
      const { bytes, end } = readQuoted(src, i, "'", false);
      if (bytes.length !== 1) throw new FilterSyntaxError(start, `a character constant holds one character: ${src.slice(start, end)}`);
      out.push({ t: T.Char, text: src.slice(start, end), value: bytes[0], pos: start, len: end - start });
      i = end;
      continue;
    }
    if (c === '[') {
      const close = src.indexOf(']', i);
      if (close < 0) throw new FilterSyntaxError(start, 'unbalanced bracket: "[" is never closed');
      out.push({ t: T.Slice, text: src.slice(i + 1, close), pos: start, len: close + 1 - start });
      i = close + 1;
      continue;
    }
    if (c === ']') throw new FilterSyntaxError(start, 'unbalanced bracket: "]" without "["');

    if (isWordStart(c)) {
      let j = i;
      while (j < src.length && isWordChar(src[j])) {
        if (src[j] === '.' && src[j + 1] === '.') break; // `1..1024`: a range, not one word
        j++;
      }
      if (src[j] === '/' && /[0-9]/.test(src[j + 1] ?? '') && isIpBeforeSlash(src.slice(i, j))) {
        j++;
        while (j < src.length && /[0-9]/.test(src[j])) j++;
      }
      const word = src.slice(i, j);
      const kw = KEYWORDS.get(word);
      if (kw) out.push({ t: kw[0], text: kw[1], pos: start, len: j - start });
      else out.push({ t: T.Word, text: word, pos: start, len: j - start });
      i = j;
      continue;
    }

    let matched = false;
    for (const [sym, t, text] of SYMBOLS) {
      if (src.startsWith(sym, i)) {
        out.push({ t, text, pos: start, len: sym.length });
        i += sym.length;
        matched = true;
        break;
      }
    }
    if (!matched) throw new FilterSyntaxError(start, `unexpected character "${c}"`);
  }
  out.push({ t: T.End, text: '', pos: src.length, len: 0 });
  return out;
}

function readString(src: string, quotePos: number, raw: boolean): { bytes: Buffer; end: number } {
  return readQuoted(src, quotePos, '"', raw);
}

// The escapes of wireshark-filter(4): \' \" \\ \a \b \f \n \r \t \v \NNN \xNN \uNNNN \UNNNNNNNN.
// \NNN and \xNN give one byte each (any value); \u and \U give the UTF-8 of a code point.
const SIMPLE_ESCAPES = new Map<string, number>([["'", 0x27], ['"', 0x22], ['\\', 0x5c], ['a', 7], ['b', 8], ['f', 12], ['n', 10], ['r', 13], ['t', 9], ['v', 11]]);

function readQuoted(src: string, quotePos: number, quote: string, raw: boolean): { bytes: Buffer; end: number } {
  const bytes: number[] = [];
  const pushText = (s: string): void => { for (const b of Buffer.from(s, 'utf8')) bytes.push(b); };
  let i = quotePos + 1;
  for (;;) {
    if (i >= src.length) throw new FilterSyntaxError(quotePos, `unterminated ${quote === '"' ? 'string' : 'character constant'}: ${quote} is never closed`);
    const c = src[i];
    if (c === quote) return { bytes: Buffer.from(bytes), end: i + 1 };
    if (c !== '\\') {
      const cp = src.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined) throw new FilterSyntaxError(i, 'a backslash ends the filter');
    if (raw) {
      // Raw strings keep every backslash; \" still does not end the string.
      bytes.push(0x5c);
      pushText(e);
      i += 2;
      continue;
    }
    const simple = SIMPLE_ESCAPES.get(e);
    if (simple !== undefined) { bytes.push(simple); i += 2; continue; }
    if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(src.slice(i + 1))![0];
      const v = parseInt(m, 8);
      if (v > 255) throw new FilterSyntaxError(i, `\\${m} is not a byte (octal escapes go up to \\377)`);
      bytes.push(v);
      i += 1 + m.length;
      continue;
    }
    if (e === 'x') {
      const m = /^[0-9A-Fa-f]{1,2}/.exec(src.slice(i + 2));
      if (!m) throw new FilterSyntaxError(i, '\\x needs one or two hex digits');
      bytes.push(parseInt(m[0], 16));
      i += 2 + m[0].length;
      continue;
    }
    if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = src.slice(i + 2, i + 2 + n);
      const cp = /^[0-9A-Fa-f]+$/.test(h) && h.length === n ? parseInt(h, 16) : -1;
      if (cp < 0 || cp > 0x10ffff) throw new FilterSyntaxError(i, `\\${e} needs ${n} hex digits of a Unicode code point`);
      pushText(String.fromCodePoint(cp));
      i += 2 + n;
      continue;
    }
    throw new FilterSyntaxError(i, `\\${e} is not a valid escape sequence (write \\\\ for a backslash)`);
  }
}
