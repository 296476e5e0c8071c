// The regular expressions of `matches`, run in time proportional to the input: a Thompson NFA
// simulated over the field's bytes, every live state stepped once per byte (a Pike VM without
// captures, since a filter only asks whether there is a match), and for patterns without
// context-dependent assertions the same automaton as a DFA built lazily, one table lookup per byte.
//
// Why an engine of our own. A filter is text anyone can hand tcpwatch, and packets are text anyone
// can send it; a backtracking engine turns `^(A+)+$` over 41 bytes of A's into minutes of work.
// Wireshark runs PCRE2 with a match limit. The options measured on Node 20 (V8 11.3):
//  - V8's linear engine (`--enable-experimental-regexp-engine-on-excessive-backtracks`) takes over
//    only for patterns without the `i` flag, and `matches` is case-insensitive by default: with the
//    flag set, `^(A+)+$`/i still ran for more than 20 s. Backreferences and lookaround are never
//    handed to it either, so it gives no guarantee for the filters that need one most.
//  - the npm `re2` package's install script fetches a prebuilt binary from GitHub, else compiles
//    RE2's C++ with node-gyp (which fetches Node's headers from nodejs.org): neither comes from the
//    npm registry, and a packet sniffer should not need a C++ toolchain to be safe.
// So: PCRE's syntax as Wireshark uses it (libpcre2 without UTF: the pattern and the subject are
// bytes, `.` is one byte, `(?i)` folds ASCII letters only, `$` also matches before a final newline),
// minus what cannot be matched in linear time — backreferences, lookaround, atomic groups,
// possessive quantifiers, recursion, conditionals — which is refused with a filter error naming it.
//
// The cost of one test is at most (subject bytes + 1) × (program size), the program is at most
// MAX_PROGRAM instructions, and each evaluation also stops after MATCH_STEP_LIMIT steps and
// answers "no match", as PCRE2 answers PCRE2_ERROR_MATCHLIMIT and Wireshark then does not match.

/** Instructions a compiled pattern may have (counted repetitions are expanded). */
export const MAX_PROGRAM = 20000;
/** Largest count in `{n,m}`, as PCRE2 (its MAX_REPEAT_COUNT). */
export const MAX_REPEAT = 65535;
/** Groups nested deeper are refused, as PCRE2 refuses them (its default PARENS_NEST_LIMIT). */
export const MAX_GROUP_NESTING = 250;
/** Thread steps per evaluation; PCRE2's default match limit is the same number of its own steps. */
export const MATCH_STEP_LIMIT = 10_000_000;

/**
 * States the lazily built DFA may keep (each with a 256-entry transition row), and NFA instructions
 * they may hold in all; a pattern that needs more runs on the NFA simulation from then on.
 */
export const MAX_DFA_STATES = 1024;
export const MAX_DFA_INSTRUCTIONS = 1 << 20;

/** A pattern that tcpwatch cannot compile; `reason` is one line for the filter error. */
export class RegexError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

// ---------------------------------------------------------------- instructions

const enum Op {
  /** Consume one byte in class x. */
  Class,
  /** Continue at x and at y. */
  Split,
  Jmp,
  Match,
  /** Zero-width assertions, of kind x. */
  Assert,
}

const enum At {
  /** `^`, `\A`, `\G` */
  Start,
  /** `^` with (?m): the start or after a newline that is not the last byte. */
  LineStart,
  /** `$`, `\Z`: the end, or before a newline that is the last byte. */
  EndOrFinalNewline,
  /** `$` with (?m): the end or before any newline. */
  LineEnd,
  /** `\z` */
  End,
  WordBoundary,
  NotWordBoundary,
}

type Node =
  | { t: 'class'; set: Uint8Array }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'assert'; at: At }
  | { t: 'empty' };

interface Flags {
  caseless: boolean;
  multiline: boolean;
  dotall: boolean;
}

const NL = 0x0a;

function isWordByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;
}

function setOf(pred: (b: number) => boolean): Uint8Array {
  const s = new Uint8Array(256);
  for (let b = 0; b < 256; b++) if (pred(b)) s[b] = 1;
  return s;
}

// The classes of PCRE2 without UTF or UCP, in its default ("C" locale) tables.
const DIGIT = setOf((b) => b >= 0x30 && b <= 0x39);
const WORD = setOf(isWordByte);
const SPACE = setOf((b) => b === 0x20 || (b >= 0x09 && b <= 0x0d));
const HSPACE = setOf((b) => b === 0x09 || b === 0x20 || b === 0xa0);
const VSPACE = setOf((b) => (b >= 0x0a && b <= 0x0d) || b === 0x85);
const NOT_NL = setOf((b) => b !== NL);
const ANY = setOf(() => true);

const POSIX: Record<string, Uint8Array> = {
  alpha: setOf((b) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)),
  digit: DIGIT,
  alnum: setOf((b) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)),
  upper: setOf((b) => b >= 0x41 && b <= 0x5a),
  lower: setOf((b) => b >= 0x61 && b <= 0x7a),
  space: SPACE,
  blank: setOf((b) => b === 0x20 || b === 0x09),
  cntrl: setOf((b) => b < 0x20 || b === 0x7f),
  graph: setOf((b) => b > 0x20 && b < 0x7f),
  print: setOf((b) => b >= 0x20 && b < 0x7f),
  punct: setOf((b) => b > 0x20 && b < 0x7f && !((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a))),
  xdigit: setOf((b) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)),
  word: WORD,
  ascii: setOf((b) => b < 0x80),
};

function complement(s: Uint8Array): Uint8Array {
  const o = new Uint8Array(256);
  for (let b = 0; b < 256; b++) o[b] = s[b] ^ 1;
  return o;
}

function foldCase(s: Uint8Array): Uint8Array {
  const o = Uint8Array.from(s);
  for (let b = 0x41; b <= 0x5a; b++) {
    if (s[b] || s[b + 0x20]) o[b] = o[b + 0x20] = 1;
  }
  return o;
}

function byteSet(b: number, caseless: boolean): Uint8Array {
  const s = new Uint8Array(256);
  s[b] = 1;
  return caseless ? foldCase(s) : s;
}

// ---------------------------------------------------------------- parsing

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
const isHex = (b: number | undefined): boolean => b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
const isAlnum = (b: number): boolean => isWordByte(b) && b !== 0x5f;
const ch = (b: number): string => (b >= 0x21 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`);

const NOT_LINEAR = 'tcpwatch matches in time proportional to the packet, which this construct does not allow';

class Parser {
  private i = 0;
  /** Groups open: the parser and the compiler recurse once per level. */
  private depth = 0;
  /** Capturing groups opened so far: whether `\12` is a backreference or octal depends on it. */
  private captures = 0;

  constructor(private readonly p: Buffer) {}

  private peek(k = 0): number | undefined {
    return this.p[this.i + k];
  }

  private err(what: string): never {
    throw new RegexError(`invalid regular expression: ${what} at offset ${this.i}`);
  }

  private refuse(what: string): never {
    throw new RegexError(`${what} in a regular expression: ${NOT_LINEAR}`);
  }

  parse(): Node {
    const flags: Flags = { caseless: true, multiline: false, dotall: false };
    const n = this.alternation(flags);
    if (this.i < this.p.length) this.err('unmatched closing parenthesis');
    return n;
  }

  /** alternation := sequence ('|' sequence)*; `flags` is the group's own copy, changed by (?i) inside it. */
  private alternation(flags: Flags): Node {
    const items = [this.sequence(flags)];
    while (this.peek() === 0x7c) {
      this.i++;
      items.push(this.sequence(flags));
    }
    return items.length === 1 ? items[0] : { t: 'alt', items };
  }

  private sequence(flags: Flags): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === 0x7c || c === 0x29) break;
      const atom = this.atom(flags);
      if (atom === null) continue;
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0] : items.length === 0 ? { t: 'empty' } : { t: 'cat', items };
  }

  private quantified(atom: Node): Node {
    const c = this.peek();
    let min: number, max: number;
    if (c === 0x2a) { min = 0; max = -1; this.i++; }
    else if (c === 0x2b) { min = 1; max = -1; this.i++; }
    else if (c === 0x3f) { min = 0; max = 1; this.i++; }
    else if (c === 0x7b) {
      const q = this.counted();
      if (q === null) return atom;
      [min, max] = q;
    } else return atom;
    const m = this.peek();
    if (m === 0x3f) this.i++; // lazy: the same matches exist, and a filter only asks whether one does
    else if (m === 0x2b) this.refuse('a possessive quantifier');
    const n = this.peek();
    if (n === 0x2a || n === 0x2b || n === 0x3f || (n === 0x7b && this.counted(false) !== null)) this.err('quantifier does not follow a repeatable item');
    // PCRE2 lets a zero-width item repeat; repeating it does not change whether it matches.
    if (atom.t === 'assert' || atom.t === 'empty') return min === 0 ? { t: 'empty' } : atom;
    return { t: 'rep', node: atom, min, max };
  }

  /** `{n}`, `{n,}`, `{n,m}` at the current position, or null (then `{` is a literal, as in PCRE2 10.42). */
  private counted(consume = true): [number, number] | null {
    const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.p.toString('latin1', this.i, Math.min(this.p.length, this.i + 16)));
    if (!m) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    if (min > MAX_REPEAT || max > MAX_REPEAT) this.err(`number too big in {} quantifier (the largest is ${MAX_REPEAT})`);
    if (max !== -1 && max < min) this.err('numbers out of order in {} quantifier');
    if (consume) this.i += m[0].length;
    return [min, max];
  }

  /** One item; null for things that match nothing and take no quantifier ((?i), (?#...), \E). */
  private atom(flags: Flags): Node | null {
    const c = this.p[this.i++];
    switch (c) {
      case 0x28: return this.group(flags);
      case 0x5b: return { t: 'class', set: this.bracket(flags) };
      case 0x2e: return { t: 'class', set: flags.dotall ? ANY : NOT_NL };
      case 0x5e: return { t: 'assert', at: flags.multiline ? At.LineStart : At.Start };
      case 0x24: return { t: 'assert', at: flags.multiline ? At.LineEnd : At.EndOrFinalNewline };
      case 0x5c: return this.escape(flags);
      case 0x2a: case 0x2b: case 0x3f:
        this.i--;
        return this.err('quantifier does not follow a repeatable item');
      default:
        return { t: 'class', set: byteSet(c, flags.caseless) };
    }
  }

  private group(outer: Flags): Node | null {
    if (++this.depth > MAX_GROUP_NESTING) this.err(`parentheses are too deeply nested (the limit is ${MAX_GROUP_NESTING})`);
    const flags: Flags = { ...outer };
    if (this.peek() === 0x2a) this.refuse('a (*VERB) or (*OPTION) item');
    if (this.peek() !== 0x3f) this.captures++;
    if (this.peek() === 0x3f) {
      this.i++;
      const k = this.peek();
      if (k === 0x23) {
        // (?# comment )
        while (this.i < this.p.length && this.p[this.i] !== 0x29) this.i++;
        if (this.i >= this.p.length) this.err('missing ) after (?# comment');
        this.i++;
        this.depth--;
        return null;
      }
      if (k === 0x3d || k === 0x21) this.refuse(k === 0x3d ? 'a lookahead (?=...)' : 'a negative lookahead (?!...)');
      if (k === 0x3c && (this.peek(1) === 0x3d || this.peek(1) === 0x21)) this.refuse('a lookbehind (?<=...) or (?<!...)');
      if (k === 0x3e) this.refuse('an atomic group (?>...)');
      if (k === 0x28) this.refuse('a conditional group (?(...)...)');
      if (k === 0x52 || isDigit(k) || k === 0x26 || (k === 0x50 && (this.peek(1) === 0x3e || this.peek(1) === 0x3d)) || ((k === 0x2b || k === 0x2d) && isDigit(this.peek(1)))) {
        this.refuse('a backreference or recursion');
      }
      if (k === 0x7c) {
        this.i++; // (?| branch reset: numbering of captures only, which a filter does not see
      } else if (k === 0x3c || k === 0x27 || (k === 0x50 && this.peek(1) === 0x3c)) {
        // a named group (?<name>...), (?'name'...), (?P<name>...): a group like any other here
        if (k === 0x50) this.i++;
        this.captures++;
        const close = this.p[this.i] === 0x27 ? 0x27 : 0x3e;
        this.i++;
        const start = this.i;
        while (this.i < this.p.length && isWordByte(this.p[this.i])) this.i++;
        if (this.i === start || this.p[this.i] !== close) this.err('syntax error in subpattern name');
        this.i++;
      } else {
        // option letters: (?i) (?-i) (?i-s) (?^) and the scoped (?i:...)
        let on = true;
        for (;;) {
          const o = this.p[this.i];
          if (o === undefined) this.err('missing closing parenthesis');
          this.i++;
          if (o === 0x29) {
            // (?i): the rest of the enclosing group
            Object.assign(outer, flags);
            this.depth--;
            return null;
          }
          if (o === 0x3a) break;
          if (o === 0x2d && on) { on = false; continue; }
          if (o === 0x5e && on) { flags.caseless = flags.multiline = flags.dotall = false; continue; }
          const name = String.fromCharCode(o);
          if (o === 0x69) flags.caseless = on;
          else if (o === 0x6d) flags.multiline = on;
          else if (o === 0x73) flags.dotall = on;
          else if (/[a-zA-Z]/.test(name)) throw new RegexError(`the regular expression option (?${on ? '' : '-'}${name}) is not supported (tcpwatch supports i, m and s)`);
          else { this.i--; this.err('unrecognized character after (? or (?-'); }
        }
      }
    }
    const body = this.alternation(flags);
    if (this.peek() !== 0x29) this.err('missing closing parenthesis');
    this.i++;
    this.depth--;
    return body;
  }

  /** After `\` outside a class. */
  private escape(flags: Flags): Node | null {
    const c = this.p[this.i];
    if (c === undefined) this.err('\\ at end of pattern');
    this.i++;
    const cls = (s: Uint8Array): Node => ({ t: 'class', set: s });
    switch (c) {
      case 0x64: return cls(DIGIT); // \d
      case 0x44: return cls(complement(DIGIT));
      case 0x77: return cls(WORD); // \w
      case 0x57: return cls(complement(WORD));
      case 0x73: return cls(SPACE); // \s
      case 0x53: return cls(complement(SPACE));
      case 0x68: return cls(HSPACE); // \h
      case 0x48: return cls(complement(HSPACE));
      case 0x76: return cls(VSPACE); // \v
      case 0x56: return cls(complement(VSPACE));
      case 0x4e: return cls(NOT_NL); // \N
      case 0x62: return { t: 'assert', at: At.WordBoundary };
      case 0x42: return { t: 'assert', at: At.NotWordBoundary };
      case 0x41: case 0x47: return { t: 'assert', at: At.Start }; // \A, \G (one attempt, from the start)
      case 0x5a: return { t: 'assert', at: At.EndOrFinalNewline };
      case 0x7a: return { t: 'assert', at: At.End };
      case 0x45: return null; // \E without \Q
      case 0x51: {
        // \Q...\E: literal text
        const items: Node[] = [];
        while (this.i < this.p.length && !(this.p[this.i] === 0x5c && this.p[this.i + 1] === 0x45)) items.push(cls(byteSet(this.p[this.i++], flags.caseless)));
        if (this.i < this.p.length) this.i += 2;
        return items.length === 0 ? null : items.length === 1 ? items[0] : { t: 'cat', items };
      }
      case 0x67: case 0x6b:
        return this.refuse(`a backreference (\\${String.fromCharCode(c)})`);
      case 0x70: case 0x50: case 0x58: case 0x52: case 0x4b: case 0x43: case 0x4c: case 0x6c: case 0x55: case 0x75:
        throw new RegexError(`\\${String.fromCharCode(c)} is not supported in tcpwatch's regular expressions`);
      default:
        if (c >= 0x31 && c <= 0x39) {
          // PCRE2: \1-\9, a number starting 8 or 9, or one no larger than the groups so far, is a
          // backreference; otherwise up to three octal digits (\101 is "A").
          let j = this.i - 1;
          while (j < this.p.length && isDigit(this.p[j])) j++;
          const digits = this.p.toString('latin1', this.i - 1, j);
          const n = Number(digits);
          if (digits.length === 1 || c >= 0x38 || n <= this.captures) this.refuse(`a backreference (\\${digits})`);
          let v = 0, k = 0;
          this.i--;
          while (k < 3 && this.peek() !== undefined && this.peek()! >= 0x30 && this.peek()! <= 0x37) { v = v * 8 + this.p[this.i++] - 0x30; k++; }
          return cls(byteSet(v & 0xff, flags.caseless));
        }
        this.i--;
        return cls(byteSet(this.literalEscape(), flags.caseless));
    }
  }

  /** The byte of a character escape (\n, \x41, \101, \cA, \.) at the current position (just after `\`). */
  private literalEscape(): number {
    const c = this.p[this.i++];
    switch (c) {
      case 0x61: return 0x07; // \a
      case 0x65: return 0x1b; // \e
      case 0x66: return 0x0c; // \f
      case 0x6e: return 0x0a; // \n
      case 0x72: return 0x0d; // \r
      case 0x74: return 0x09; // \t
      case 0x30: {
        // \0, then up to two more octal digits
        let v = 0, k = 0;
        while (k < 2 && this.peek() !== undefined && this.peek()! >= 0x30 && this.peek()! <= 0x37) { v = v * 8 + this.p[this.i++] - 0x30; k++; }
        return v;
      }
      case 0x6f: {
        // \o{...}
        if (this.peek() !== 0x7b) this.err('missing opening brace after \\o');
        const end = this.p.indexOf(0x7d, this.i);
        const digits = end < 0 ? '' : this.p.toString('latin1', this.i + 1, end);
        if (!/^[0-7]+$/.test(digits)) this.err('non-octal character in \\o{}');
        const v = parseInt(digits, 8);
        if (v > 0xff) this.err('character code point value in \\o{} is too large (without UTF, a byte)');
        this.i = end + 1;
        return v;
      }
      case 0x78: {
        // \xhh or \x{hh}
        if (this.peek() === 0x7b) {
          const end = this.p.indexOf(0x7d, this.i);
          const digits = end < 0 ? '' : this.p.toString('latin1', this.i + 1, end);
          if (!/^[0-9a-fA-F]+$/.test(digits)) this.err('non-hex character in \\x{}');
          const v = parseInt(digits, 16);
          if (v > 0xff) this.err('character code point value in \\x{} is too large (without UTF, a byte)');
          this.i = end + 1;
          return v;
        }
        let v = 0, k = 0;
        while (k < 2 && isHex(this.peek())) { v = v * 16 + parseInt(String.fromCharCode(this.p[this.i++]), 16); k++; }
        return v;
      }
      case 0x63: {
        // \cX: control character
        const x = this.p[this.i++];
        if (x === undefined || x < 0x20 || x > 0x7e) this.err('\\c must be followed by a printable ASCII character');
        const up = x >= 0x61 && x <= 0x7a ? x - 0x20 : x;
        return up ^ 0x40;
      }
      default:
        if (c === undefined) this.err('\\ at end of pattern');
        if (isAlnum(c)) { this.i--; this.err(`unrecognized character follows \\ (\\${ch(c)})`); }
        return c; // an escaped punctuation character or byte stands for itself
    }
  }

  /** After `[`: the class up to its `]`, with (?i) applied before a `^` complements it. */
  private bracket(flags: Flags): Uint8Array {
    const set = new Uint8Array(256);
    let negated = false;
    if (this.peek() === 0x5e) { negated = true; this.i++; }
    let first = true;
    for (;;) {
      const c = this.p[this.i];
      if (c === undefined) this.err('missing terminating ] for character class');
      if (c === 0x5d && !first) { this.i++; break; }
      first = false;
      if (c === 0x5b && this.peek(1) === 0x3a) {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.p.toString('latin1', this.i, Math.min(this.p.length, this.i + 16)));
        if (m) {
          const named = Object.hasOwn(POSIX, m[2]) ? POSIX[m[2]] : this.err(`unknown POSIX class name [:${m[2]}:]`);
          const s = m[1] === '^' ? complement(named) : named;
          for (let b = 0; b < 256; b++) if (s[b]) set[b] = 1;
          this.i += m[0].length;
          continue;
        }
      }
      const lo = this.classAtom(set);
      if (lo < 0) {
        if (this.peek() === 0x2d && this.peek(1) !== 0x5d && this.peek(1) !== undefined) this.err('invalid range in character class');
        continue;
      }
      if (this.peek() === 0x2d && this.peek(1) !== 0x5d && this.peek(1) !== undefined) {
        this.i++;
        const hi = this.classAtom(null);
        if (hi < 0) this.err('invalid range in character class');
        if (hi < lo) this.err('range out of order in character class');
        for (let b = lo; b <= hi; b++) set[b] = 1;
        continue;
      }
      set[lo] = 1;
    }
    const folded = flags.caseless ? foldCase(set) : set;
    return negated ? complement(folded) : folded;
  }

  /** One byte of a class (returned), or a class escape such as \d added to `into` (returns -1). */
  private classAtom(into: Uint8Array | null): number {
    const c = this.p[this.i++];
    if (c !== 0x5c) return c;
    const e = this.p[this.i];
    const add = (s: Uint8Array): number => {
      this.i++;
      if (into === null) return -1;
      for (let b = 0; b < 256; b++) if (s[b]) into[b] = 1;
      return -1;
    };
    switch (e) {
      case 0x64: return add(DIGIT);
      case 0x44: return add(complement(DIGIT));
      case 0x77: return add(WORD);
      case 0x57: return add(complement(WORD));
      case 0x73: return add(SPACE);
      case 0x53: return add(complement(SPACE));
      case 0x68: return add(HSPACE);
      case 0x48: return add(complement(HSPACE));
      case 0x76: return add(VSPACE);
      case 0x56: return add(complement(VSPACE));
      case 0x62: this.i++; return 0x08; // \b is a backspace inside a class
      case 0x70: case 0x50: case 0x58: case 0x52: case 0x4e:
        throw new RegexError(`\\${String.fromCharCode(e)} is not supported in tcpwatch's regular expressions`);
      default:
        if (e !== undefined && e >= 0x31 && e <= 0x39) { this.i++; return e === 0x38 || e === 0x39 ? e : this.octalInClass(e); }
        return this.literalEscape();
    }
  }

  /** \1..\7 inside a class: an octal escape of up to three digits. */
  private octalInClass(first: number): number {
    let v = first - 0x30, k = 1;
    while (k < 3 && this.peek() !== undefined && this.peek()! >= 0x30 && this.peek()! <= 0x37) { v = v * 8 + this.p[this.i++] - 0x30; k++; }
    return v & 0xff;
  }
}

// ---------------------------------------------------------------- compiling to a program

class Builder {
  op: number[] = [];
  x: number[] = [];
  y: number[] = [];
  readonly classes: Uint8Array[] = [];
  private readonly classIndex = new Map<string, number>();

  private emit(op: Op, x = 0, y = 0): number {
    if (this.op.length >= MAX_PROGRAM) throw new RegexError(`the regular expression is too large (tcpwatch compiles at most ${MAX_PROGRAM} steps; counted repeats such as {1000} count each copy)`);
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    return this.op.length - 1;
  }

  private classId(set: Uint8Array): number {
    const key = Buffer.from(set.buffer, set.byteOffset, set.length).toString('latin1');
    let id = this.classIndex.get(key);
    if (id === undefined) {
      id = this.classes.length;
      this.classes.push(set);
      this.classIndex.set(key, id);
    }
    return id;
  }

  node(n: Node): void {
    switch (n.t) {
      case 'empty': return;
      case 'class': this.emit(Op.Class, this.classId(n.set)); return;
      case 'assert': this.emit(Op.Assert, n.at); return;
      case 'cat': for (const it of n.items) this.node(it); return;
      case 'alt': {
        // split L1, next; L1: a; jmp end; next: split L2, ...
        const jumps: number[] = [];
        for (let k = 0; k < n.items.length; k++) {
          if (k < n.items.length - 1) {
            const s = this.emit(Op.Split);
            this.x[s] = s + 1;
            this.node(n.items[k]);
            jumps.push(this.emit(Op.Jmp));
            this.y[s] = this.op.length;
          } else {
            this.node(n.items[k]);
          }
        }
        for (const j of jumps) this.x[j] = this.op.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) this.node(n.node);
        if (n.max === -1) {
          // L: split body, out; body; jmp L
          const s = this.emit(Op.Split);
          this.x[s] = s + 1;
          this.node(n.node);
          this.emit(Op.Jmp, s);
          this.y[s] = this.op.length;
          return;
        }
        // (a(a(a)?)?)? for the optional copies
        const splits: number[] = [];
        for (let k = n.min; k < n.max; k++) {
          const s = this.emit(Op.Split);
          this.x[s] = s + 1;
          splits.push(s);
          this.node(n.node);
        }
        for (const s of splits) this.y[s] = this.op.length;
        return;
      }
    }
  }

  finish(): void {
    this.emit(Op.Match);
  }
}

/** successor() and closureState() for "the match is found". */
const MATCHED = -2;
const GAVE_UP = -1;

/** A compiled `matches` pattern. Not reentrant: one evaluation at a time (filters run on one thread). */
export class ByteRegex {
  private readonly op: Uint8Array;
  private readonly x: Int32Array;
  private readonly y: Int32Array;
  /** Class membership, 256 entries per class. */
  private readonly table: Uint8Array;
  /** Whether every match must start at offset 0 (the program begins with `^` or `\A`). */
  private readonly anchored: boolean;
  /**
   * Bytes that can begin a match (every byte a thread seeded at instruction 0 can consume first),
   * or null when a match can begin without consuming anything. While no thread is alive the search
   * skips to the next such byte: an unanchored `host: example\.com` then costs a byte scan, not a
   * thread step per byte.
   */
  private readonly first: Uint8Array | null;
  private clist: Int32Array;
  private nlist: Int32Array;
  /** Generation in which each instruction was last added to the list being built. */
  private readonly mark: Int32Array;
  private gen = 0;
  private readonly stack: Int32Array;
  private scratch = Buffer.alloc(256);
  /** Steps the last evaluation took (tests and benchmarks read it). */
  lastSteps = 0;

  // The same automaton run as a DFA built lazily from it (RE2's approach): a DFA state is the set
  // of instructions alive before a byte, its successor on each byte is computed once and cached.
  // Programs whose assertions need the bytes around a position ($, \b, (?m)^) run on the NFA
  // simulation above; a leading \A or ^ is the DFA's start state. Both answer the same; the DFA
  // costs one table lookup per byte once its states exist.
  /** Whether test() runs the DFA (until it needs more states than it may keep). */
  dfaActive: boolean;
  private dKeys = new Map<string, number>();
  /** Class instructions of each state, ascending. */
  private dPcs: Int32Array[] = [];
  /** Successor of each state on each byte; -1 not computed yet, MATCHED when it reaches Match. */
  private dNext: Int32Array[] = [];
  private dInstructions = 0;
  private dStart = -1;
  private dSteps = 0;

  constructor(readonly source: string, b: Builder, nfaOnly?: boolean) {
    const n = b.op.length;
    this.op = Uint8Array.from(b.op);
    this.x = Int32Array.from(b.x);
    this.y = Int32Array.from(b.y);
    this.table = new Uint8Array(Math.max(1, b.classes.length) * 256);
    b.classes.forEach((s, k) => this.table.set(s, k * 256));
    this.anchored = n > 0 && b.op[0] === Op.Assert && b.x[0] === At.Start;
    this.first = firstBytes(b);
    this.clist = new Int32Array(n);
    this.nlist = new Int32Array(n);
    this.mark = new Int32Array(n);
    this.stack = new Int32Array(n + 1);
    let dfa = nfaOnly !== true;
    for (let pc = this.anchored ? 1 : 0; pc < n; pc++) if (b.op[pc] === Op.Assert) dfa = false;
    this.dfaActive = dfa;
  }

  /** Whether the pattern matches somewhere in buf[off, off + len). */
  test(buf: Uint8Array, off: number, len: number): boolean {
    if (this.dfaActive) {
      const r = this.testDfa(buf, off, len);
      if (r !== GAVE_UP) return r === 1;
    }
    return this.testNfa(buf, off, len);
  }

  /** 1 matched, 0 not, GAVE_UP when the DFA needs more states than it may keep (then it is dropped). */
  private testDfa(buf: Uint8Array, off: number, len: number): number {
    const end = off + len;
    const first = this.first;
    this.dSteps = 0;
    if (this.dStart < 0) {
      this.dStart = this.closureState(this.anchored ? [1] : [0]);
      if (this.dStart === MATCHED) { this.dStart = -1; this.lastSteps = this.dSteps; return 1; }
    }
    const start = this.dStart, anchored = this.anchored, skip = !anchored && first !== null;
    // Stable for this evaluation: states are only added (intern pushes onto these arrays).
    const dNext = this.dNext, dPcs = this.dPcs;
    let s = start;
    for (let pos = off; pos < end; pos++) {
      if (skip && s === start) {
        // Only the seed is alive: skip to a byte that can begin a match.
        while (pos < end && first![buf[pos]] === 0) pos++;
        if (pos >= end) break;
      }
      const byte = buf[pos];
      let t = dNext[s][byte];
      if (t === -1) {
        if (this.dKeys.size >= MAX_DFA_STATES || this.dInstructions >= MAX_DFA_INSTRUCTIONS) {
          // A pattern whose states do not repeat (large counted repeats over long input) would
          // rebuild states forever: the NFA simulation does the same work without building them.
          this.dfaActive = false;
          this.dKeys.clear();
          this.dPcs = [];
          this.dNext = [];
          return GAVE_UP;
        }
        t = this.successor(s, byte);
        if (this.dSteps > MATCH_STEP_LIMIT) break;
      }
      if (t === MATCHED) { this.lastSteps = this.dSteps + (pos - off); return 1; }
      s = t;
      if (anchored && dPcs[s].length === 0) break; // no thread is alive
    }
    this.lastSteps = this.dSteps + len;
    return 0;
  }

  /** The state after `byte` in state s (computed and cached). */
  private successor(s: number, byte: number): number {
    const pcs = this.dPcs[s];
    const table = this.table, xs = this.x;
    const next: number[] = [];
    for (let k = 0; k < pcs.length; k++) {
      const pc = pcs[k];
      if (table[xs[pc] * 256 + byte] !== 0) next.push(pc + 1);
    }
    if (!this.anchored) next.push(0); // the search starts again at every position
    const t = this.closureState(next);
    this.dNext[s][byte] = t;
    return t;
  }

  /** The state of the instructions reached from `from` without consuming; MATCHED if Match is. */
  private closureState(from: number[]): number {
    const op = this.op, xs = this.x, ys = this.y, mark = this.mark, stack = this.stack;
    if (this.gen > 0x3fffffff) { mark.fill(0); this.gen = 0; }
    const gen = ++this.gen;
    let sp = 0;
    for (const pc of from) if (mark[pc] !== gen) { mark[pc] = gen; stack[sp++] = pc; }
    const out: number[] = [];
    while (sp > 0) {
      const pc = stack[--sp];
      this.dSteps++;
      const o = op[pc];
      if (o === Op.Class) out.push(pc);
      else if (o === Op.Match) return MATCHED;
      else if (o === Op.Jmp) { const t = xs[pc]; if (mark[t] !== gen) { mark[t] = gen; stack[sp++] = t; } }
      else if (o === Op.Split) {
        const t2 = ys[pc]; if (mark[t2] !== gen) { mark[t2] = gen; stack[sp++] = t2; }
        const t1 = xs[pc]; if (mark[t1] !== gen) { mark[t1] = gen; stack[sp++] = t1; }
      }
      // No assertion is reached: the program has none but a leading \A, which the start state skips.
    }
    out.sort((a, b) => a - b);
    return this.intern(out);
  }

  private intern(pcs: ArrayLike<number>): number {
    const key = Array.prototype.join.call(pcs, ',');
    let id = this.dKeys.get(key);
    if (id === undefined) {
      id = this.dPcs.length;
      this.dKeys.set(key, id);
      this.dPcs.push(Int32Array.from(pcs));
      this.dNext.push(new Int32Array(256).fill(-1));
      this.dInstructions += pcs.length;
    }
    return id;
  }

  private testNfa(buf: Uint8Array, off: number, len: number): boolean {
    const op = this.op, xs = this.x, ys = this.y, table = this.table, mark = this.mark, stack = this.stack;
    const end = off + len;
    let clist = this.clist, nlist = this.nlist;
    let cn = 0;
    let steps = 0;
    if (this.gen > 0x3fffffff) { mark.fill(0); this.gen = 0; }
    let gen = ++this.gen;
    // Seed at pos: follow the empty moves from instruction 0 into `list`, as addthread does.
    const first = this.first;
    for (let pos = off; ; pos++) {
      if (cn === 0 && first !== null) {
        while (pos < end && first[buf[pos]] === 0) pos++;
        if (pos >= end) break;
      }
      // A thread seeded here must consume buf[pos] first (when `first` is known), so seed only
      // where that byte can begin a match.
      if ((pos === off || !this.anchored) && (first === null || (pos < end && first[buf[pos]] !== 0))) {
        // add instruction 0 at pos into clist (same generation as clist's)
        let sp = 0;
        if (mark[0] !== gen) { mark[0] = gen; stack[sp++] = 0; }
        while (sp > 0) {
          const pc = stack[--sp];
          steps++;
          const o = op[pc];
          if (o === Op.Class) clist[cn++] = pc;
          else if (o === Op.Match) { this.lastSteps = steps; return true; }
          else if (o === Op.Jmp) { const t = xs[pc]; if (mark[t] !== gen) { mark[t] = gen; stack[sp++] = t; } }
          else if (o === Op.Split) {
            const t2 = ys[pc]; if (mark[t2] !== gen) { mark[t2] = gen; stack[sp++] = t2; }
            const t1 = xs[pc]; if (mark[t1] !== gen) { mark[t1] = gen; stack[sp++] = t1; }
          } else if (assertAt(xs[pc], buf, off, end, pos)) {
            const t = pc + 1; if (mark[t] !== gen) { mark[t] = gen; stack[sp++] = t; }
          }
        }
      }
      if (cn === 0 && (this.anchored || pos >= end)) break;
      if (pos >= end) break;
      if (steps > MATCH_STEP_LIMIT) break;
      // Step every thread over the byte at pos into nlist, following empty moves at pos + 1.
      const byte = buf[pos];
      gen = ++this.gen;
      let nn = 0;
      const next = pos + 1;
      for (let k = 0; k < cn; k++) {
        const pc = clist[k];
        steps++;
        if (table[xs[pc] * 256 + byte] === 0) continue;
        let sp = 0;
        const t0 = pc + 1;
        if (mark[t0] !== gen) { mark[t0] = gen; stack[sp++] = t0; }
        while (sp > 0) {
          const q = stack[--sp];
          steps++;
          const o = op[q];
          if (o === Op.Class) nlist[nn++] = q;
          else if (o === Op.Match) { this.lastSteps = steps; return true; }
          else if (o === Op.Jmp) { const t = xs[q]; if (mark[t] !== gen) { mark[t] = gen; stack[sp++] = t; } }
          else if (o === Op.Split) {
            const t2 = ys[q]; if (mark[t2] !== gen) { mark[t2] = gen; stack[sp++] = t2; }
            const t1 = xs[q]; if (mark[t1] !== gen) { mark[t1] = gen; stack[sp++] = t1; }
          } else if (assertAt(xs[q], buf, off, end, next)) {
            const t = q + 1; if (mark[t] !== gen) { mark[t] = gen; stack[sp++] = t; }
          }
        }
      }
      const tmp = clist; clist = nlist; nlist = tmp;
      cn = nn;
    }
    this.lastSteps = steps;
    return false;
  }

  /** Whether the pattern matches somewhere in the UTF-8 of s (text that a field computes). */
  testString(s: string): boolean {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > this.scratch.length) this.scratch = Buffer.alloc(Math.max(n, this.scratch.length * 2));
    this.scratch.write(s, 0, 'utf8');
    return this.test(this.scratch, 0, n);
  }
}

/** The union of the classes reachable from instruction 0 without consuming, or null if Match is. */
function firstBytes(b: Builder): Uint8Array | null {
  const set = new Uint8Array(256);
  const seen = new Uint8Array(b.op.length);
  const todo = [0];
  seen[0] = 1;
  while (todo.length > 0) {
    const pc = todo.pop()!;
    const next: number[] = [];
    switch (b.op[pc]) {
      case Op.Match: return null;
      case Op.Class: {
        const c = b.classes[b.x[pc]];
        for (let k = 0; k < 256; k++) set[k] |= c[k];
        break;
      }
      case Op.Jmp: next.push(b.x[pc]); break;
      case Op.Split: next.push(b.x[pc], b.y[pc]); break;
      default: next.push(pc + 1); // an assertion: may hold, so what follows may start the match
    }
    for (const t of next) if (!seen[t]) { seen[t] = 1; todo.push(t); }
  }
  return set;
}

function assertAt(kind: number, buf: Uint8Array, off: number, end: number, pos: number): boolean {
  switch (kind) {
    case At.Start: return pos === off;
    case At.LineStart: return pos === off || (buf[pos - 1] === NL && pos < end);
    case At.EndOrFinalNewline: return pos === end || (pos === end - 1 && buf[pos] === NL);
    case At.LineEnd: return pos === end || buf[pos] === NL;
    case At.End: return pos === end;
    default: {
      const before = pos > off && isWordByte(buf[pos - 1]);
      const after = pos < end && isWordByte(buf[pos]);
      return kind === At.WordBoundary ? before !== after : before === after;
    }
  }
}

/**
 * Compile a `matches` pattern given as the bytes of the filter's string literal. Case-insensitive
 * unless (?-i), as Wireshark's `matches` is. Throws RegexError with one line for the filter error.
 */
export function compileByteRegex(pattern: Buffer, opts: { nfaOnly?: boolean } = {}): ByteRegex {
  const ast = new Parser(pattern).parse();
  const b = new Builder();
  b.node(ast);
  b.finish();
  return new ByteRegex(pattern.toString('latin1'), b, opts.nfaOnly);
}
