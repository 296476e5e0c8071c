// The grammar of Wireshark's display filters, by recursive descent over the tokens of lexer.ts.
// Precedence, lowest first: `or`, `xor`, `and`, `not`, then a test (a comparison, `in`, or a bare
// value meaning "exists"); inside a value `&`, then `+ -`, then `* / %`, then unary minus, as in
// Wireshark 4.0's grammar. `xor`/`^^` is not in tshark 4.0 (older Wireshark manuals list it); tcpwatch
// accepts it between `and` and `or`, where C puts `^` between `&` and `|`.
//
// The parser knows nothing of fields: a word stays a word until the compiler looks it up in the
// registry and learns the type the other side of a comparison needs.

import { FilterSyntaxError, T, Token, tokenize } from './lexer';

/** One part of a slice, normalised: start (may be negative) and either a length or an inclusive end. */
export interface SliceRange {
  start: number;
  /** Bytes from start; -1 = to the end of the field. */
  len: number;
  /** Inclusive end offset (may be negative) for `[i-j]`, or null. */
  end: number | null;
}

export type Value =
  | { k: 'word'; text: string; pos: number; len: number }
  | { k: 'string'; text: string; bytes: Buffer; raw: boolean; pos: number; len: number }
  | { k: 'char'; value: number; pos: number; len: number }
  | { k: 'slice'; of: Value; ranges: SliceRange[]; pos: number; len: number }
  | { k: 'call'; name: string; args: Value[]; pos: number; len: number }
  | { k: 'arith'; op: '+' | '-' | '*' | '/' | '%' | '&'; a: Value; b: Value; pos: number; len: number }
  | { k: 'neg'; a: Value; pos: number; len: number };

export type RelOp = '==' | '!=' | '===' | '!==' | '<' | '<=' | '>' | '>=' | 'contains' | 'matches';

export interface SetElem {
  lo: Value;
  /** Upper bound of a range `lo..hi`, inclusive. */
  hi: Value | null;
}

export type Expr =
  | { k: 'or' | 'and' | 'xor'; a: Expr; b: Expr; pos: number }
  | { k: 'not'; a: Expr; pos: number }
  | { k: 'exists'; v: Value; pos: number }
  | { k: 'cmp'; op: RelOp; quant: 'any' | 'all' | null; a: Value; b: Value; pos: number; opPos: number }
  | { k: 'in'; a: Value; set: SetElem[]; negated: boolean; pos: number };

/** Parse a whole filter; throws FilterSyntaxError with the offset of the first mistake. */
export function parseFilter(src: string): Expr {
  const p = new Parser(src, tokenize(src));
  return p.parseWhole();
}

/** Deeper nesting than this is refused (with its column) rather than exhausting the stack. */
export const MAX_NESTING = 256;

class Parser {
  private i = 0;
  private depth = 0;
  /** Offsets of the parentheses open at this point, to name the unclosed one. */
  private readonly open: number[] = [];

  constructor(private readonly src: string, private readonly toks: Token[]) {}

  private get tok(): Token {
    return this.toks[this.i];
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_NESTING) throw new FilterSyntaxError(pos, `the filter nests more than ${MAX_NESTING} levels deep`);
  }

  private leave(): void {
    this.depth--;
  }

  /** Whether the current token is of kind t (a method, so TypeScript does not narrow across next()). */
  private at(t: T): boolean {
    return this.toks[this.i].t === t;
  }

  private next(): Token {
    return this.toks[this.i++];
  }

  private describe(t: Token): string {
    return t.t === T.End ? 'the end of the filter' : `"${this.src.slice(t.pos, t.pos + t.len)}"`;
  }

  private unexpected(what: string): never {
    const t = this.tok;
    if (t.t === T.End) {
      if (this.open.length > 0) throw new FilterSyntaxError(this.open[this.open.length - 1], 'unbalanced parenthesis: "(" is never closed');
      throw new FilterSyntaxError(t.pos, `unexpected end of filter: expected ${what}`);
    }
    if (t.t === T.RParen && this.open.length === 0) throw new FilterSyntaxError(t.pos, 'unbalanced parenthesis: ")" without "("');
    if (t.t === T.Hash) throw new FilterSyntaxError(t.pos, 'the layer operator "#" is not supported by tcpwatch');
    if (t.t === T.FieldRef) throw new FilterSyntaxError(t.pos, 'field references "${...}" are not supported by tcpwatch');
    throw new FilterSyntaxError(t.pos, `unexpected ${this.describe(t)}: expected ${what}`);
  }

  parseWhole(): Expr {
    const e = this.parseOr();
    if (!this.at(T.End)) {
      if (this.at(T.RParen)) throw new FilterSyntaxError(this.tok.pos, 'unbalanced parenthesis: ")" without "("');
      this.unexpected('"and", "or" or the end of the filter');
    }
    return e;
  }

  private parseOr(): Expr {
    let a = this.parseXor();
    while (this.at(T.Or)) {
      const pos = this.next().pos;
      a = { k: 'or', a, b: this.parseXor(), pos };
    }
    return a;
  }

  private parseXor(): Expr {
    let a = this.parseAnd();
    while (this.at(T.Xor)) {
      const pos = this.next().pos;
      a = { k: 'xor', a, b: this.parseAnd(), pos };
    }
    return a;
  }

  private parseAnd(): Expr {
    let a = this.parseNot();
    while (this.at(T.And)) {
      const pos = this.next().pos;
      a = { k: 'and', a, b: this.parseNot(), pos };
    }
    return a;
  }

  private parseNot(): Expr {
    if (this.at(T.Not)) {
      const pos = this.next().pos;
      this.enter(pos);
      const a = this.parseNot();
      this.leave();
      return { k: 'not', a, pos };
    }
    if (this.at(T.LParen)) {
      const open = this.next().pos;
      this.enter(open);
      this.open.push(open);
      const e = this.parseOr();
      if (!this.at(T.RParen)) this.unexpected('")"');
      this.next();
      this.open.pop();
      this.leave();
      return e;
    }
    return this.parseTest();
  }

  private parseTest(): Expr {
    const pos = this.tok.pos;
    let quant: 'any' | 'all' | null = null;
    if (this.at(T.Any) || this.at(T.All)) quant = this.next().text as 'any' | 'all';
    const a = this.parseValue();
    const t = this.tok;
    if (t.t === T.Rel) {
      this.next();
      const b = this.parseValue();
      return { k: 'cmp', op: t.text as RelOp, quant, a, b, pos, opPos: t.pos };
    }
    if (t.t === T.In || (t.t === T.Not && this.toks[this.i + 1].t === T.In)) {
      if (quant) throw new FilterSyntaxError(pos, `"${quant}" applies to a comparison, not to "in"`);
      const negated = t.t === T.Not;
      this.next();
      if (negated) this.next();
      return { k: 'in', a, set: this.parseSet(), negated, pos };
    }
    if (quant) this.unexpected(`a comparison after "${quant}"`);
    return { k: 'exists', v: a, pos };
  }

  private parseSet(): SetElem[] {
    if (!this.at(T.LBrace)) this.unexpected('"{" to start a set');
    const open = this.next().pos;
    const out: SetElem[] = [];
    for (;;) {
      if (this.at(T.End)) throw new FilterSyntaxError(open, 'unbalanced brace: "{" is never closed');
      const lo = this.parseUnary();
      let hi: Value | null = null;
      if (this.at(T.DotDot)) {
        this.next();
        hi = this.parseUnary();
      }
      out.push({ lo, hi });
      if (this.at(T.Comma)) { this.next(); continue; }
      if (this.at(T.RBrace)) { this.next(); return out; }
      this.unexpected('"," or "}" in a set (set elements are separated by commas)');
    }
  }

  // value := add ('&' add)*
  private parseValue(): Value {
    let a = this.parseAdd();
    while (this.at(T.BitAnd)) {
      this.next();
      const b = this.parseAdd();
      a = { k: 'arith', op: '&', a, b, pos: a.pos, len: b.pos + b.len - a.pos };
    }
    return a;
  }

  private parseAdd(): Value {
    let a = this.parseMul();
    while (this.at(T.Plus) || this.at(T.Minus)) {
      const op = this.next().text as '+' | '-';
      const b = this.parseMul();
      a = { k: 'arith', op, a, b, pos: a.pos, len: b.pos + b.len - a.pos };
    }
    return a;
  }

  private parseMul(): Value {
    let a = this.parseUnary();
    while (this.at(T.Star) || this.at(T.Slash) || this.at(T.Percent)) {
      const op = this.next().text as '*' | '/' | '%';
      const b = this.parseUnary();
      a = { k: 'arith', op, a, b, pos: a.pos, len: b.pos + b.len - a.pos };
    }
    return a;
  }

  private parseUnary(): Value {
    if (this.at(T.Minus)) {
      const pos = this.next().pos;
      this.enter(pos);
      const a = this.parseUnary();
      this.leave();
      return { k: 'neg', a, pos, len: a.pos + a.len - pos };
    }
    return this.parseSlices(this.parseAtom());
  }

  private parseSlices(v: Value): Value {
    while (this.at(T.Slice)) {
      const t = this.next();
      v = { k: 'slice', of: v, ranges: parseSliceText(t.text, t.pos + 1), pos: v.pos, len: t.pos + t.len - v.pos };
    }
    return v;
  }

  private parseAtom(): Value {
    const t = this.tok;
    switch (t.t) {
      case T.Word: {
        this.next();
        if (this.at(T.LParen)) return this.parseCall(t);
        return { k: 'word', text: t.text, pos: t.pos, len: t.len };
      }
      case T.String:
        this.next();
        return { k: 'string', text: t.text, bytes: t.bytes!, raw: t.raw === true, pos: t.pos, len: t.len };
      case T.Char:
        this.next();
        return { k: 'char', value: t.value!, pos: t.pos, len: t.len };
      case T.LBrace: {
        // Braces group arithmetic (parentheses group tests).
        this.next();
        this.enter(t.pos);
        const v = this.parseValue();
        if (!this.at(T.RBrace)) this.unexpected('"}" to close the arithmetic group');
        const close = this.next();
        this.leave();
        return { ...v, pos: t.pos, len: close.pos + 1 - t.pos };
      }
      default:
        return this.unexpected('a field or a value');
    }
  }

  private parseCall(name: Token): Value {
    this.next(); // (
    this.enter(name.pos);
    this.open.push(this.toks[this.i - 1].pos);
    const args: Value[] = [];
    if (!this.at(T.RParen)) {
      for (;;) {
        args.push(this.parseValue());
        if (this.at(T.Comma)) { this.next(); continue; }
        break;
      }
    }
    if (!this.at(T.RParen)) this.unexpected(`"," or ")" in the arguments of ${name.text}()`);
    const close = this.next();
    this.open.pop();
    this.leave();
    return { k: 'call', name: name.text, args, pos: name.pos, len: close.pos + 1 - name.pos };
  }
}

/** `[i:j]` start and length, `[i-j]` start and inclusive end, `[i]`, `[:j]`, `[i:]`, joined by commas. */
function parseSliceText(text: string, pos: number): SliceRange[] {
  const out: SliceRange[] = [];
  let off = 0;
  for (const part of text.split(',')) {
    const at = pos + off + (part.length - part.trimStart().length);
    off += part.length + 1;
    const s = part.trim();
    // Offsets past 2^53 are not exact numbers; no field is that long, but `[1e30:]` must not pass as one.
    const offset = (digits: string): number => {
      const n = Number(digits);
      if (!Number.isSafeInteger(n)) throw new FilterSyntaxError(at, `slice offset ${digits} is out of range`);
      return n;
    };
    let m: RegExpExecArray | null;
    if ((m = /^(-?\d+)?\s*:\s*(\d+)?$/.exec(s)) && (m[1] !== undefined || m[2] !== undefined)) {
      const start = m[1] === undefined ? 0 : offset(m[1]);
      const len = m[2] === undefined ? -1 : offset(m[2]);
      if (len === 0) throw new FilterSyntaxError(at, `slice [${s}] has length 0`);
      out.push({ start, len, end: null });
    } else if ((m = /^(-?\d+)\s*-\s*(-?\d+)$/.exec(s))) {
      out.push({ start: offset(m[1]), len: -1, end: offset(m[2]) });
    } else if ((m = /^(-?\d+)$/.exec(s))) {
      out.push({ start: offset(m[1]), len: 1, end: null });
    } else {
      throw new FilterSyntaxError(at, `"[${text}]" is not a slice: write [i:length], [i-j], [i], [:length] or [i:]`);
    }
  }
  return out;
}
